/**
 * A realistic, reproducible session catalogue for bench/list-sessions.ts: titles of two or three
 * music-ish words (some accented, some numbered), 0-6 tags from a vocabulary of 200, notes of 0-500
 * characters, DAW kinds (most from a project path), clients for some, a SessionUpdated for some and
 * a SessionOpened within the last 60 days for about a fifth. Words are drawn with a Zipf-like
 * skew, as real vocabularies are, from a seeded generator: the same seed gives the same catalogue.
 */
import type { EventMeta } from '../events/envelope';
import { SessionCreated, SessionOpened, SessionUpdated, type SessionCreatedData, type SessionUpdatedData } from '../events/sessions';
import { newSessionData } from '../src/commands/create-session';
import { newSessionId } from '../src/ids';
import { openLevelStore } from '../src/store';
import { isInterrupted, onCleanup } from './harness';

export const WORDS = `
ambient analog anthem arpeggio attack aurora autumn ballad bassline beat bells bittersweet blue
bloom bounce brass breakbeat breeze bridge bright broken bubble cadence café canyon carnival cascade
chant chill chime chord chorus cinema cipher circuit citrus clap clarinet cloud coast cobalt comet
copper coral corazón cosmic cowbell crystal cumbia dancefloor dawn daydream déjà delay demo desert
detune diamond disco distant dream drift drone drum dub dusk dust echo eclipse electric ember
empire encore été evening fable fader falsetto feather festival fiesta filter fire flute fog
folk fountain fragment frost funk fuzz galaxy garden ghost glass glide glitch gold gospel
granular gravity groove guitar harbor harmony haze heartbeat highway hollow horizon horn hymn
interlude island ivory jazz jungle kaleidoscope kick lagoon lantern laser lazy légère lemon lick
lights lofi lonely loop lullaby lunar mañana marble meadow melody memory midnight mirage mirror
mist modular monsoon moon morning mosaic motif naïve neon night nocturne noise nomad north
oasis ocean octave orbit orchestra outro overdrive palm paradise pastel pulse phantom piano pixel
plucked prism pulsar quartz quiet radio rain rave reverb rêve rhythm riff ripple river rocket
rose rumba rust saffron salsa sampler saxophone señorita shadow shimmer shuffle silence silk
silver sketch sky slow snare solar soul sparkle spectrum spiral spring static stellar stomp
storm strings summer sun sunset swing synth tango tempest tempo thunder tide timber tonic
tremolo tribal tropical twilight unison uptempo valley velvet vinyl violet voice vortex wave
whisper wild willow winter wobble wonder yellow zenith zéphyr bass kit vocal vox take mix
master stem sub lead pad keys organ choir tape cassette sequence pattern chop slice
flip edit remix bootleg intro verse hook drop build breakdown outline draft idea jam session
live studio room garage basement attic rooftop tour single album ep track side b-side
fernweh sehnsucht saudade hygge niño piñata jalapeño crème soirée fiancée résumé über
`
  .split(/\s+/)
  .filter(Boolean);

export const DAWS: Array<{ kind: string; extension: string }> = [
  { kind: 'Ableton', extension: '.als' },
  { kind: 'Logic Pro', extension: '.logicx' },
  { kind: 'FL Studio', extension: '.flp' },
  { kind: 'Cubase', extension: '.cpr' },
  { kind: 'Nuendo', extension: '.npr' },
  { kind: 'Reaper', extension: '.rpp' },
  { kind: 'Bitwig Studio', extension: '.bwproject' },
  { kind: 'Studio One', extension: '.song' },
  { kind: 'Pro Tools', extension: '.ptx' },
  { kind: 'GarageBand', extension: '.band' },
  { kind: 'Reason', extension: '.reason' },
];

const STATUSES = ['draft', 'in-progress', 'mixing', 'review', 'mastered', 'done', 'archived'];
const ACCENTS = ['default', 'default', 'default', 'red', 'blue', 'green', 'amber', '#ff6600', '#3366cc'];
const CLIENTS = [
  'Northside Records', 'Blue Room Studio', 'Élodie Martin', 'Jörg Bauer', 'Sofía Ramírez', 'Kite & Kettle',
  'Harbor Lights Agency', 'Mika Tanaka', 'The Velvet Co.', 'Studio Zoë', 'Brightline Ads', 'Oskar Nyström',
  'Lumen Films', 'Ana Conceição', 'Dusty Groove Ltd', 'Pixel Pond Games', 'Renée Dubois', 'Copperhead Music',
];
const OWNERS = ['alex', 'sam', 'jo', 'mira', 'kenji', 'lucía'];

export const DAY_MS = 86_400_000;

/** One seeded session: what it was created with, and what happened to it later. */
export interface SeedSession {
  created: SessionCreatedData;
  createdAt: string;
  update?: { data: SessionUpdatedData; at: string };
  openedAt?: string;
}

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws from `items` with weight 1/(rank+1)^skew, the ranks shuffled once so the order is not alphabetical. */
function zipf<T>(items: readonly T[], skew: number, random: () => number): () => T {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cumulative: number[] = [];
  let sum = 0;
  for (let rank = 0; rank < order.length; rank += 1) cumulative.push((sum += 1 / (rank + 1) ** skew));
  return () => {
    const target = random() * sum;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid] < target) low = mid + 1;
      else high = mid;
    }
    return order[low];
  };
}

const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** `count` sessions, reproducibly from `seed`, with times relative to `now`. */
export function generateCatalogue(count: number, seed: number, now: number): SeedSession[] {
  const random = seededRandom(seed);
  const word = zipf(WORDS, 0.9, random);
  // The tag vocabulary: 200 of the words (accents and all), drawn with their own skew.
  const tagVocabulary = zipf(WORDS.slice(0, 200), 1.0, random);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const chance = (p: number) => random() < p;
  const between = (low: number, high: number) => low + random() * (high - low);

  const title = () => {
    const words = Array.from({ length: chance(0.6) ? 2 : 3 }, () => capitalise(word()));
    const roll = random();
    if (roll < 0.15) words.push(String(1 + Math.floor(random() * 40)));
    else if (roll < 0.22) words.push(`v${1 + Math.floor(random() * 5)}`);
    else if (roll < 0.27) words.unshift(`${String(Math.floor(random() * 200)).padStart(3, '0')} -`);
    return words.join(' ');
  };
  const notes = () => {
    if (chance(0.25)) return '';
    const length = Math.floor(between(1, 501));
    let text = '';
    let sentence = 0;
    while (text.length < length) {
      let next = word();
      if (sentence === 0) next = capitalise(next);
      sentence += 1;
      if (sentence > 4 && chance(0.25)) {
        next += chance(0.8) ? '.' : '!';
        sentence = 0;
      } else if (chance(0.06)) next += ',';
      else if (chance(0.04)) next += ` ${Math.floor(random() * 180)} bpm`;
      text += (text ? ' ' : '') + next;
    }
    return text.length > 500 ? text.slice(0, text.lastIndexOf(' ', 500)) : text;
  };
  const tags = () => Array.from({ length: Math.floor(random() * 7) }, () => tagVocabulary());

  const catalogue: SeedSession[] = [];
  for (let i = 0; i < count; i += 1) {
    const createdMs = now - between(1, 3 * 365) * DAY_MS;
    const sessionTitle = title();
    const daw = pick(DAWS);
    const withPath = chance(0.6);
    const projectPath = withPath
      ? `/Users/${pick(OWNERS)}/Music/Projects/${sessionTitle.replace(/[^\p{L}\p{N}]+/gu, ' ').trim()}${daw.extension}`
      : null;
    const created = newSessionData({
      title: sessionTitle,
      // With a path, the kind is what its extension names; without, one of the DAWs or Other.
      ...(withPath ? {} : { kind: chance(0.9) ? daw.kind : 'Other' }),
      status: pick(STATUSES),
      accent: pick(ACCENTS),
      tags: tags(),
      notes: notes(),
      client: chance(0.3) ? pick(CLIENTS) : null,
      projectPath,
    });
    const session: SeedSession = { created, createdAt: new Date(createdMs).toISOString() };
    let lastMs = createdMs;
    if (chance(0.15)) {
      const data: SessionUpdatedData = {};
      const roll = random();
      if (roll < 0.4) data.status = pick(STATUSES.filter((status) => status !== created.status));
      else if (roll < 0.6) data.title = `${sessionTitle} (${pick(['final', 'alt mix', 'radio edit', 'v2', 'rework'])})`;
      else if (roll < 0.8) data.notes = notes() || 'Cleared.';
      else data.tags = [...new Set([...tags(), tagVocabulary()])];
      if (chance(0.2)) data.accent = pick(ACCENTS);
      lastMs = createdMs + random() * (now - createdMs);
      session.update = { data, at: new Date(lastMs).toISOString() };
    }
    if (chance(0.2)) {
      // Within the last 60 days, and never before the session's last event.
      const window = Math.min(60 * DAY_MS, now - lastMs);
      session.openedAt = new Date(now - random() * window).toISOString();
    }
    catalogue.push(session);
  }
  return catalogue;
}

/** The session's fields after its update, if it had one. */
export const finalFields = (session: SeedSession): SessionCreatedData => (session.update ? { ...session.created, ...session.update.data } : session.created);

/** Sessions appended at once: group commit batches them, and they stay within the log's bounded queue. */
export const SEED_CHUNK = 500;

const seedMeta = (at: string): EventMeta => ({ at, requestId: 'seed', actor: 'bench' });

/**
 * Appends a catalogue to a new log through the real EventLog, SEED_CHUNK sessions at a time (each
 * session's own events in order): the ids given, the events written, the chunks taken.
 */
export async function appendCatalogue(location: string, catalogue: readonly SeedSession[]): Promise<{ ids: string[]; events: number; batches: number }> {
  const store = await openLevelStore(location);
  const forget = onCleanup(() => store.close());
  const ids: string[] = [];
  let events = 0;
  let batches = 0;
  try {
    for (let start = 0; start < catalogue.length; start += SEED_CHUNK) {
      if (isInterrupted()) throw new Error('interrupted');
      await Promise.all(
        catalogue.slice(start, start + SEED_CHUNK).map(async (session) => {
          const id = newSessionId();
          ids.push(id);
          let result = await store.append(id, 0, [{ type: SessionCreated.type, data: session.created }], seedMeta(session.createdAt));
          if (session.update) result = await store.append(id, result.version, [{ type: SessionUpdated.type, data: session.update.data }], seedMeta(session.update.at));
          if (session.openedAt) result = await store.append(id, result.version, [{ type: SessionOpened.type, data: {} }], seedMeta(session.openedAt));
          events += result.version;
        }),
      );
      batches += 1;
    }
  } finally {
    forget();
    await store.close();
  }
  return { ids, events, batches };
}
