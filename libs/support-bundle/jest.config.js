import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'support-bundle', rootDir: import.meta.dirname };
