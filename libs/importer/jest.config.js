import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'importer', rootDir: import.meta.dirname };
