export { waitFor } from '@parley/runtime';
