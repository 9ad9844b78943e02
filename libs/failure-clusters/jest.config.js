import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'failure-clusters', rootDir: import.meta.dirname };
