import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'introspect', rootDir: import.meta.dirname };
