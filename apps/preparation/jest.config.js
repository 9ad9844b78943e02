import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'preparation', rootDir: import.meta.dirname, testTimeout: 120_000 };
