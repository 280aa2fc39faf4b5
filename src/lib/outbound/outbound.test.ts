/**
 * The outbound guard on its own. Names are resolved by an injected resolver; the only sockets opened
 * go to a receiver on 127.0.0.1 that the policy names explicitly. Nothing here ever connects to a
 * private or metadata address: the refusals happen before or inside the lookup.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, createOutboundGuard, forbiddenRange, OutboundRefusedError, type OutboundPolicy, type Resolver } from './index.js';

const names: Record<string, string[]> = {
  'metadata.test': ['169.254.169.254'],
  'internal.test': ['10.0.0.5'],
  'mixed.test': ['93.184.216.34', '192.168.1.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'receiver.test': ['127.0.0.1'],
  'public.test': ['93.184.216.34'],
};
const lookups: string[] = [];
const resolver: Resolver = async (host) => {
  lookups.push(host);
  const list = names[host];
  if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

let server: http.Server;
let port = 0;
const hits: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(`${req.url} ${req.headers.authorization ?? '-'}`);
    if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    else if (req.url === '/to-internal') res.writeHead(307, { location: 'http://internal.test/admin' }).end();
    else if (req.url === '/hop') res.writeHead(302, { location: `http://receiver.test:${port}/ok` }).end();
    else if (req.url === '/silent') return; // never answers
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('forbiddenRange', () => {
  it.each([
    '127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '192.168.0.10', '169.254.169.254', '100.64.0.1', '100.100.100.200',
    '0.0.0.0', '255.255.255.255', '224.0.0.1', '192.0.0.192', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254',
    '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '2002:7f00:1::', '64:ff9b::a9fe:a9fe', 'ff02::1',
  ])('refuses %s', (ip) => {
    expect(forbiddenRange(ip)).not.toBeNull();
  });
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (ip) => {
    expect(forbiddenRange(ip)).toBeNull();
  });
});

describe('checkUrl', () => {
  const lax: OutboundPolicy = { allowHttp: true, allowedHosts: [] };
  it.each([
    'http://2130706433/', 'http://0/', 'http://0x7f.1/', 'http://127.1/', 'http://[::1]/', 'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:7f00:1]:8080/', 'http://169.254.169.254/latest/meta-data/', 'http://localhost:3000/', 'http://LOCALHOST./',
    'http://api.localhost/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://metadata/', 'http://10.0.0.1/',
    'ftp://example.com/', 'file:///etc/passwd',
  ])('refuses %s', (url) => {
    expect(checkUrl(url, lax)).toHaveProperty('refused');
  });
  it('wants https unless plain http is allowed', () => {
    expect(checkUrl('http://crm.example.com/hook', { allowHttp: false, allowedHosts: [] })).toHaveProperty('refused');
    expect(checkUrl('https://crm.example.com/hook', { allowHttp: false, allowedHosts: [] })).toMatchObject({ trusted: false });
  });
  it('lets the operator name hosts, with or without a port, loopback included', () => {
    const policy: OutboundPolicy = { allowHttp: true, allowedHosts: ['127.0.0.1:4000', 'localhost', '[::1]:8080', 'crm.internal'] };
    expect(checkUrl('http://127.0.0.1:4000/x', policy)).toMatchObject({ trusted: true });
    expect(checkUrl('http://127.0.0.1:4001/x', policy)).toHaveProperty('refused');
    expect(checkUrl('http://localhost:1234/x', policy)).toMatchObject({ trusted: true });
    expect(checkUrl('http://[::1]:8080/x', policy)).toMatchObject({ trusted: true });
    expect(checkUrl('http://[::1]:8081/x', policy)).toHaveProperty('refused');
    expect(checkUrl('https://crm.internal/x', policy)).toMatchObject({ trusted: true });
    // Allowing a host does not allow plain http.
    expect(checkUrl('http://127.0.0.1:4000/x', { ...policy, allowHttp: false })).toHaveProperty('refused');
  });
});

describe('the guarded fetch', () => {
  const guard = createOutboundGuard({ allowHttp: true, allowedHosts: [`receiver.test:${0}`] }, { resolver });
  afterAll(() => guard.close());
  const open = () => createOutboundGuard({ allowHttp: true, allowedHosts: [`receiver.test:${port}`, `127.0.0.1:${port}`] }, { resolver });

  it('refuses a name that resolves to a metadata, private or mapped loopback address, at connect time', async () => {
    const g = open();
    const f = g.fetch({ timeoutMs: 5000 });
    for (const host of ['metadata.test', 'internal.test', 'mixed.test', 'mapped.test']) {
      lookups.length = 0;
      await expect(f(`http://${host}/`)).rejects.toBeInstanceOf(OutboundRefusedError);
      expect(lookups).toContain(host);
    }
    // receiver.test is 127.0.0.1: allowed on the named port only.
    await expect(f(`http://receiver.test:${port + 1}/`)).rejects.toBeInstanceOf(OutboundRefusedError);
    await g.close();
  });

  it('checks the address it connects to, so a rebinding name gains nothing', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls++;
      return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const g = createOutboundGuard({ allowHttp: true, allowedHosts: [] }, { resolver: rebinding });
    expect(await g.vet(`http://rebind.test:${port}/`)).toBeNull();
    await expect(g.fetch({ timeoutMs: 5000 })(`http://rebind.test:${port}/`)).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(hits.filter((h) => h.startsWith('/ ')).length).toBe(0);
    await g.close();
  });

  it('vets at creation by what the name resolves to', async () => {
    expect(await guard.vet('https://metadata.test/')).toMatch(/link/i);
    expect(await guard.vet('https://internal.test/')).toMatch(/private/);
    expect(await guard.vet('https://public.test/hook')).toBeNull();
    expect(await guard.vet('https://not-in-dns.test/hook')).toBeNull();
    expect(await guard.vet('http://[::ffff:169.254.169.254]/')).not.toBeNull();
  });

  it('connects to an allowed host through the resolved address, and checks every redirect', async () => {
    const g = open();
    const f = g.fetch({ timeoutMs: 5000 });
    const ok = await f(`http://receiver.test:${port}/ok`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok');
    await expect(f(`http://127.0.0.1:${port}/to-metadata`)).rejects.toBeInstanceOf(OutboundRefusedError);
    await expect(f(`http://127.0.0.1:${port}/to-internal`, { method: 'POST', body: 'x' })).rejects.toBeInstanceOf(OutboundRefusedError);
    // A redirect to another origin does not carry the credentials.
    hits.length = 0;
    const hop = await f(`http://127.0.0.1:${port}/hop`, { headers: { authorization: 'Basic c2VjcmV0' } });
    expect(hop.status).toBe(200);
    expect(hits).toEqual(['/hop Basic c2VjcmV0', '/ok -']);
    // redirect: 'manual' hands the 3xx back untouched.
    expect((await f(`http://127.0.0.1:${port}/to-metadata`, { redirect: 'manual' })).status).toBe(302);
    await g.close();
  });

  it('gives up on a receiver that never answers', async () => {
    const g = open();
    await expect(g.fetch({ timeoutMs: 300 })(`http://127.0.0.1:${port}/silent`)).rejects.toThrow(/timeout|aborted/i);
    await g.close();
  });
});
