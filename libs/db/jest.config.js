import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'db', rootDir: import.meta.dirname };
