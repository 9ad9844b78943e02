import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'redaction', rootDir: import.meta.dirname };
