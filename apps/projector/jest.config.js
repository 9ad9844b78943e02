import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'projector', rootDir: import.meta.dirname, testTimeout: 240_000 };
