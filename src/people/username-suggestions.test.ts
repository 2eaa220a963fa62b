import { describe, expect, it } from 'vitest';
import { normaliseUsername, usernameCandidates, usernameFromText } from './person.js';

describe('usernames made from a name', () => {
  it.each([
    ['Sara Sjögren', 'sara.sjogren'],
    ['Åsa Öberg', 'asa.oberg'],
    ['Đỗ Văn Long', 'do.van.long'],
    ['Nguyễn Thị Hương', 'nguyen.thi.huong'],
    ['Mustafa Al-Sayed', 'mustafa.al-sayed'],
    ['Łukasz Żółć', 'lukasz.zolc'],
    ['Jürgen Groß', 'jurgen.gross'],
    ['Søren Ærø', 'soren.aero'],
    ['  Anna-Karin   Öst ', 'anna-karin.ost'],
    ["Seán O'Brien", 'sean.obrien'],
  ])('%s → %s', (name, username) => {
    expect(usernameFromText(name)).toBe(username);
  });

  it('offers nothing for a name with no Latin letters', () => {
    expect(usernameFromText('李小龙')).toBeNull();
    expect(usernameFromText('عمر')).toBeNull();
    expect(usernameFromText('Li')).toBeNull(); // too short to be a username
  });

  it('offers the name first, then with the location, a number and initials, all valid usernames', () => {
    const candidates = usernameCandidates({ name: 'Sara Sjögren', location: 'Butik 214 Uppsala Gränby' });
    expect(candidates.slice(0, 3)).toEqual(['sara.sjogren', 'sara.sjogren.granby', 'sara.sjogren2']);
    expect(candidates).toContain('s.sjogren');
    expect(candidates).toContain('sara.s');
    for (const candidate of candidates) expect(normaliseUsername(candidate)).toBe(candidate);
    expect(new Set(candidates).size).toBe(candidates.length);
  });

  it('starts from what the person typed, made into a username', () => {
    expect(usernameCandidates({ name: 'Sara Sjögren' }, 'Sara Sjögren')[0]).toBe('sara.sjogren');
    expect(usernameCandidates({ name: 'Sara Sjögren' }, 'sarasj')[0]).toBe('sarasj');
    expect(usernameCandidates({ name: 'Sara Sjögren' }, 'sarasj')).toContain('sarasj2');
  });
});
