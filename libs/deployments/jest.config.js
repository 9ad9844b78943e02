import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'deployments', rootDir: import.meta.dirname };
