/**
 * Just enough HTTP/1.1 response framing for a keep-alive load loop without pipelining: the status
 * code and where the response ends (Content-Length, or a chunked body's last chunk). Every server
 * in the benchmark answers with Content-Length; chunked is handled so a surprise does not hang.
 */
const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');

export interface Framed {
  status: number;
  /** Bytes of `buf` the response occupies. */
  length: number;
  /** The server will close the socket after this response. */
  close: boolean;
}

/** A complete response at the start of `buf`, or null while more bytes are needed. */
export function frameResponse(buf: Buffer): Framed | null {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd < 0) return null;
  const head = buf.subarray(0, headerEnd).toString('latin1');
  const status = Number(head.slice(9, 12));
  if (!Number.isInteger(status) || !head.startsWith('HTTP/1.')) throw new Error(`not an HTTP response: ${head.slice(0, 40)}`);
  const close = /\r\nconnection:\s*close/i.test(head);
  const bodyStart = headerEnd + HEADER_END.length;
  const contentLength = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (contentLength) {
    const length = bodyStart + Number(contentLength[1]);
    return buf.length >= length ? { status, length, close } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const end = buf.indexOf(CHUNKED_END, bodyStart);
    return end < 0 ? null : { status, length: end + CHUNKED_END.length, close };
  }
  // 1xx/204/304 have no body; anything else without framing is read until close (not expected here).
  return { status, length: bodyStart, close };
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
