/**
 * The groups of the OpenAPI document (its `tags`), in the order SessionDock's docs list them, each
 * with its one-line description; `events` is this server's own.
 */
export const apiTags = {
  system: 'Health, modes and log position; this OpenAPI document and its rendered page.',
  sessions: 'The session catalogue: list and search, create, read, update and delete sessions.',
  metadata: "A session's notes and tags as resources of their own.",
  tags: 'The tags in use over live sessions, with their counts.',
  previews: "A session's preview variants, their audio, waveforms and waveform notes.",
  imports: 'Batch import of projects as sessions, run in the background.',
  automation: "Desktop actions: open a session's project, focus its card.",
  events: "Beyond SessionDock's docs: the event log, a session's history and the live event stream.",
} as const;

export type ApiTag = keyof typeof apiTags;
