// Lets a plain `node` process import our TypeScript sources (tests that spawn node use it with
// `--import`), and makes chosen packages unimportable: CHARMKIT_FORBID_IMPORTS=a,b turns any
// static or dynamic import of `a` or `b` into an error, as if they were not installed.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, {
  data: {
    forbid: (process.env.CHARMKIT_FORBID_IMPORTS ?? '').split(',').filter(Boolean),
  },
});
