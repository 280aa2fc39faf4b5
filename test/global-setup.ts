// Placeholder: replaced by the database template setup (see test/helpers).
export default async function setup(): Promise<void> {}
