import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'lineage', rootDir: import.meta.dirname };
