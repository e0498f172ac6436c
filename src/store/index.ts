import { EventLog } from './event-log';
import { LevelBackend } from './level-backend';
import { MemoryBackend } from './memory-backend';

export type { EventStore, ExpectedVersion, AppendResult, LogHead, LogBackend, SerializedEvent } from './event-store';
export { StoreError, isStoreError, type StoreErrorCode } from './errors';
export { EventLog, LevelBackend, MemoryBackend };
export { recordsOf } from './event-log';

export const openLevelStore = (location: string) => EventLog.open(new LevelBackend(location));
export const openMemoryStore = () => EventLog.open(new MemoryBackend());
