import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fixturePath, sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { heicFile, isoMediaFile, m4aFile, movFile, tagText, utf16Text } from '../helpers/lying-audio';
import { startTestServer, type TestServer } from '../helpers/server';
import { hasMp4AudioBrand, hasMpegFrames, id3v2End, mpegFrameAt } from '../../src/audio/signatures';
import { UNATTACHABLE } from '../../src/http/routes/previews';

/*
 * Issue 17, finding 8: a UTF-16 text (FF FE), a text starting with `TAG`, and any file with `ftyp`
 * at offset 4 (HEIC, MOV) passed the audio check, and a variant whose file failed analysis was
 * still streamed. Now a file is audio only when a real frame or an audio brand is found, and the
 * audio route refuses a file that no longer passes.
 */
describe('hardening: files that only look like audio (finding 8)', function () {
  this.timeout(60_000);

  let server: TestServer;
  let audio: AudioDir;
  const sessionIds: string[] = [];

  before(async () => {
    server = await startTestServer();
    audio = tempAudioDir('sessiondock-sniff-');
  });

  after(async () => {
    await server.stop();
    await assertLogKeeps(server.dataDir, sessionIds);
    await server.dispose();
    audio.cleanup();
  });

  const newSession = async (title: string) => {
    const created = await server.api('POST', '/sessions', { json: { title } });
    assert.equal(created.status, 201, created.text);
    sessionIds.push(created.body.data.id);
    return created.body.data.id as string;
  };

  const impostors: Array<[string, string, () => Buffer]> = [
    ['a UTF-16 text with its FF FE byte-order mark', 'notes.txt', utf16Text],
    ['a text that starts with TAG', 'tags.txt', tagText],
    ['a HEIC image (ftyp heic)', 'photo.heic', heicFile],
    ['a QuickTime movie (ftyp qt)', 'clip.mov', movFile],
    ['an MP4 video (ftyp isom/mp42, no audio brand)', 'clip.mp4', () => isoMediaFile('isom', ['isom', 'iso2', 'avc1', 'mp41'])],
    ['an ID3v2 tag with nothing after it', 'empty.mp3', () => Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x01\x00', 'latin1'), Buffer.alloc(128)])],
  ];

  for (const [what, name, bytes] of impostors) {
    it(`given ${what}, when attached, then 400 invalid_request naming /path, and nothing is written`, async () => {
      const sessionId = await newSession(`Impostor: ${name}`);
      const path = audio.file(name);
      writeFileSync(path, bytes());
      const before = (await server.api('GET', `/sessions/${sessionId}`)).body.data.version;

      const response = await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path } });

      assert.equal(response.status, 400, response.text);
      assert.equal(response.body.error.code, 'invalid_request');
      // One message for every unusable path (finding 14): the reason is only in the server's log.
      assert.equal(response.body.error.message, `path ${UNATTACHABLE}.`);
      assert.deepEqual(response.body.error.details.map((detail: { field: string }) => detail.field), ['/path']);
      assert.equal((await server.api('GET', `/sessions/${sessionId}`)).body.data.version, before);
    });
  }

  it('given real audio of every served format (WAV, AIFF, FLAC, MP3, Ogg, an M4A brand), when attached, then each is accepted with its media type', async () => {
    const sessionId = await newSession('Real audio');
    const files: Array<[string, Buffer, string]> = [
      ['real.wav', readFileSync(writeWav(audio.file('tmp.wav'), sine({ durationS: 0.2 }))), 'audio/wav'],
      ['real.aiff', readFileSync(fixturePath('sine-440-mono-16.aiff')), 'audio/aiff'],
      ['real.flac', readFileSync(fixturePath('sine-440.flac')), 'audio/flac'],
      ['real.mp3', readFileSync(fixturePath('sine-440.mp3')), 'audio/mpeg'],
      ['tagged.mp3', Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x02\x00', 'latin1'), Buffer.alloc(256), readFileSync(fixturePath('sine-440.mp3'))]), 'audio/mpeg'],
      ['real.ogg', readFileSync(fixturePath('sine-440.ogg')), 'audio/ogg'],
      ['brand.m4a', m4aFile(), 'audio/mp4'],
    ];
    for (const [name, bytes, mime] of files) {
      const path = audio.file(name);
      writeFileSync(path, bytes);
      const response = await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path, id: name.replace('.', '_') } });
      assert.equal(response.status, 201, `${name}: ${response.text}`);
      assert.equal((await server.api('GET', `/sessions/${sessionId}/preview?variantId=${name.replace('.', '_')}`)).status, 200);
      const audioResponse = await server.api('GET', `/sessions/${sessionId}/preview/audio?variantId=${name.replace('.', '_')}`, { headers: { Range: 'bytes=0-15' } });
      assert.equal(audioResponse.status, 206, `${name}: ${audioResponse.text}`);
      assert.equal(audioResponse.headers['content-type'], mime, name);
    }
  });

  it('given a variant whose file is replaced by a UTF-16 text, when its audio is requested, then an error envelope, not the bytes, and /health stays fast', async () => {
    // Given a ready WAV variant
    const sessionId = await newSession('Replaced by text');
    const path = writeWav(audio.file('replaced.wav'), sine({ durationS: 0.5 }));
    assert.equal((await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path } })).status, 201);
    await eventually(async () => (await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus, (status) => status === 'ready', 'the analysis');
    const idleMs = await idleHealthMs(server);
    const rssBefore = rssBytes();

    // When the file becomes text and is asked for, again and again (five at a time)
    writeFileSync(path, utf16Text());
    const requests = (async () => {
      const all = [];
      for (let round = 0; round < 8; round += 1) all.push(...(await Promise.all(Array.from({ length: 5 }, () => server.api('GET', `/sessions/${sessionId}/preview/audio`)))));
      return all;
    })();
    const { result: answers, slowestMs } = await slowestHealthDuring(server, requests);

    // Then each answer is the contract's envelope (422 unsupported_audio), never audio bytes
    for (const answer of answers) {
      assert.equal(answer.status, 422, answer.text);
      assert.equal(answer.body.error.code, 'unsupported_audio');
      assert.match(String(answer.headers['content-type']), /^application\/json/);
    }
    // And the variant is recorded failed
    await eventually(async () => (await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus, (status) => status === 'failed', 'the variant failing');
    assertHealthWithin(slowestMs, idleMs);
    assertMemoryUnder(rssBytes() - rssBefore, 100, 'RSS growth of the test process (server in-process)');
  });

  describe('the signatures, byte by byte', () => {
    const frameHeader = [0xff, 0xfb, 0x90, 0x64]; // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417 bytes
    const frames = (count: number, gap = 0) => {
      const out = Buffer.alloc(count * 417 + gap);
      for (let i = 0; i < count; i += 1) Buffer.from(frameHeader).copy(out, gap + i * 417);
      return out;
    };

    it('an MPEG frame header gives its length; reserved and free-format values are refused', () => {
      assert.equal(mpegFrameAt(Uint8Array.from(frameHeader), 0)?.length, 417);
      assert.equal(mpegFrameAt(Uint8Array.from([0xff, 0xfb, 0x92, 0x64]), 0)?.length, 418); // padded
      assert.equal(mpegFrameAt(Uint8Array.from([0xff, 0xfb, 0x00, 0x64]), 0), undefined); // free format
      assert.equal(mpegFrameAt(Uint8Array.from([0xff, 0xfb, 0xf0, 0x64]), 0), undefined); // bit-rate index 15
      assert.equal(mpegFrameAt(Uint8Array.from([0xff, 0xfb, 0x9c, 0x64]), 0), undefined); // sample-rate index 3
      assert.equal(mpegFrameAt(Uint8Array.from([0xff, 0xe9, 0x90, 0x64]), 0), undefined); // reserved version
      assert.equal(mpegFrameAt(Uint8Array.from([0xff, 0xf9, 0x90, 0x64]), 0), undefined); // reserved layer
    });

    it('MP3 needs a second frame at the first one\'s length (or the file ending there)', () => {
      assert.equal(hasMpegFrames(frames(2), 0, 834), true);
      assert.equal(hasMpegFrames(frames(1), 0, 417), true);
      assert.equal(hasMpegFrames(frames(1), 0, 5000), false);
      assert.equal(hasMpegFrames(frames(3, 100), 0, 1351), true); // junk before the first frame
      assert.equal(hasMpegFrames(utf16Text(), 0, utf16Text().length), false);
    });

    it('an ID3v2 tag is skipped by its synchsafe size (and footer)', () => {
      assert.equal(id3v2End(Buffer.from('ID3\x04\x00\x00\x00\x00\x02\x01', 'latin1')), 10 + 257);
      assert.equal(id3v2End(Buffer.from('ID3\x04\x00\x10\x00\x00\x00\x05', 'latin1')), 10 + 5 + 10);
      assert.equal(id3v2End(Buffer.from('ID3\x04\x00\x00\x80\x00\x00\x05', 'latin1')), 0); // not synchsafe
    });

    it('MP4 is audio only with an audio brand, major or compatible', () => {
      assert.equal(hasMp4AudioBrand(m4aFile()), true);
      assert.equal(hasMp4AudioBrand(isoMediaFile('mp42', ['isom', 'M4B '])), true);
      assert.equal(hasMp4AudioBrand(heicFile()), false);
      assert.equal(hasMp4AudioBrand(movFile()), false);
      const lyingSize = m4aFile();
      lyingSize.writeUInt32BE(1 << 30, 0);
      assert.equal(hasMp4AudioBrand(lyingSize), false);
    });
  });
});
