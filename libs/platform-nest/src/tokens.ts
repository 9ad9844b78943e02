/** DI tokens of the platform module. Nest is the shell: these wrap plain objects from the adapter libs. */
export const EVENT_LOG = Symbol.for('distillery.EventLog');
export const DATABASE = Symbol.for('distillery.Database');
export const PUBLISHER = Symbol.for('distillery.EventPublisher');
export const LOGGER = Symbol.for('distillery.Logger');
export const APP_INFO = Symbol.for('distillery.AppInfo');

export interface AppInfo {
  readonly app: string;
  readonly version: string;
}
