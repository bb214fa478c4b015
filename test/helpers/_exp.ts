import postgres from 'postgres';
import { startPostgres } from './postgres.js';
const t0 = Date.now();
const pg = await startPostgres();
if ('skip' in pg) throw new Error(pg.skip);
console.log('started', Date.now() - t0, pg.url);
let t = Date.now();
for (let i = 0; i < 10; i++) await pg.createDatabase();
console.log('10 dbs', Date.now() - t);
const sql = postgres(pg.url, { onnotice: () => {}, backoff: (r) => Math.min(0.05 * 2 ** r, 1), types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } } });
console.log(await sql`select 1::bigint as a, ${['a','b']}::text[] as arr, ${new Uint8Array([1,2])}::bytea as b`);
console.log(await sql`select ${'a'} = ANY(${sql.array(['a','b'])}) as x`);
const calls: string[] = [];
await sql.listen('ch', (p) => calls.push('n' + p), () => calls.push('listen'));
await sql`select pg_notify('ch', '1')`;
await new Promise(r => setTimeout(r, 100));
console.log(calls);
await pg.restart(async () => {
  t = Date.now();
  try { await sql`select 1`; } catch (e) { console.log('down err', Date.now() - t, (e as any).code, (e as Error).message); }
  t = Date.now();
  try { await sql`select 1`; } catch (e) { console.log('down err2', Date.now() - t, (e as any).code, (e as Error).message); }
});
t = Date.now();
try { console.log(await sql`select 2`, Date.now() - t); } catch (e) { console.log('after err', (e as any).code, (e as Error).message); }
for (let i = 0; i < 50 && !calls.includes('listen') ; i++) await new Promise(r => setTimeout(r, 100));
await new Promise(r => setTimeout(r, 2000));
await sql`select pg_notify('ch', '2')`;
await new Promise(r => setTimeout(r, 100));
console.log(calls);
const bad = postgres('postgres://postgres@127.0.0.1:1/x', { connect_timeout: 2 });
try { await bad`select 1`; } catch (e) { console.log('bad', (e as any).code, (e as Error).message, Object.keys(e as object)); }
await bad.end();
await sql.end();
await pg.stop();
console.log('total', Date.now() - t0);
