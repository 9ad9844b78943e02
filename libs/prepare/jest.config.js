import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'prepare', rootDir: import.meta.dirname };
