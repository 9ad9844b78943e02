import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'cleaning', rootDir: import.meta.dirname };
