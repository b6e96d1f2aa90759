import { z } from 'zod';
const o = Object.fromEntries([['__proto__', { site: 'a' }]]);
console.log(Object.keys(o), Object.getPrototypeOf(o) === Object.prototype);
const r = z.record(z.string().regex(/^[A-Za-z]/), z.object({ site: z.string() })).safeParse(o);
console.log(JSON.stringify(r));
const r2 = z.strictObject({ instances: z.record(z.string().regex(/^[A-Za-z]/), z.object({ site: z.string() })) }).safeParse({ instances: o });
console.log(JSON.stringify(r2));
