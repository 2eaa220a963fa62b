// Synthetic, deterministic people for the benchmark: the workforce of a Nordic retailer, warehouse
// operator and care provider. Given names × family names from several origins, written in the
// scripts people actually use on a staff list (mostly Latin with diacritics; some Arabic and
// Chinese in their own script). Same seed → same people, byte for byte.

/** mulberry32: a small, fast, deterministic PRNG (not for secrets). */
export function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

// Each origin: weight (share of the workforce), given and family names. An entry is either a
// Latin-script name or [native script, Latin transliteration]; `nativeShare` is how often the
// native script is what HR typed into the name field.
export const ORIGINS = [
  {
    origin: 'swedish',
    weight: 40,
    given: [
      'Anna',
      'Eva',
      'Maria',
      'Karin',
      'Sara',
      'Lena',
      'Emma',
      'Kerstin',
      'Ingrid',
      'Åsa',
      'Linnéa',
      'Malin',
      'Elin',
      'Sofia',
      'Ida',
      'Johanna',
      'Hanna',
      'Märta',
      'Birgitta',
      'Ulla',
      'Lars',
      'Anders',
      'Johan',
      'Per',
      'Erik',
      'Karl',
      'Nils',
      'Mikael',
      'Björn',
      'Jan',
      'Olof',
      'Göran',
      'Henrik',
      'Fredrik',
      'Mattias',
      'Jonas',
      'Oscar',
      'Axel',
      'Gustav',
      'Åke',
    ],
    family: [
      'Andersson',
      'Johansson',
      'Karlsson',
      'Nilsson',
      'Eriksson',
      'Larsson',
      'Olsson',
      'Persson',
      'Svensson',
      'Gustafsson',
      'Pettersson',
      'Jonsson',
      'Jansson',
      'Hansson',
      'Bengtsson',
      'Jönsson',
      'Lindberg',
      'Jakobsson',
      'Magnusson',
      'Lindström',
      'Olofsson',
      'Lindqvist',
      'Lindgren',
      'Berg',
      'Axelsson',
      'Bergström',
      'Lundberg',
      'Lind',
      'Lundgren',
      'Lundqvist',
      'Mattsson',
      'Berglund',
      'Fredriksson',
      'Sandberg',
      'Henriksson',
      'Forsberg',
      'Sjöberg',
      'Wallin',
      'Engström',
      'Håkansson',
      'Danielsson',
      'Öberg',
      'Ström',
      'Åberg',
      'Löfgren',
    ],
  },
  {
    origin: 'finnish',
    weight: 8,
    given: [
      'Aino',
      'Eeva',
      'Helmi',
      'Kaarina',
      'Liisa',
      'Marjatta',
      'Päivi',
      'Riitta',
      'Sanna',
      'Tuula',
      'Juha',
      'Jukka',
      'Kari',
      'Matti',
      'Mikko',
      'Pekka',
      'Timo',
      'Ville',
      'Väinö',
      'Antti',
    ],
    family: [
      'Korhonen',
      'Virtanen',
      'Mäkinen',
      'Nieminen',
      'Mäkelä',
      'Hämäläinen',
      'Laine',
      'Heikkinen',
      'Koskinen',
      'Järvinen',
      'Lehtonen',
      'Lehtinen',
      'Saarinen',
      'Salminen',
      'Heinonen',
      'Niemi',
      'Heikkilä',
      'Kinnunen',
      'Salonen',
      'Turunen',
      'Salo',
      'Laitinen',
      'Tuominen',
      'Rantanen',
      'Karjalainen',
    ],
  },
  {
    origin: 'arabic',
    weight: 10,
    nativeShare: 0.25,
    given: [
      ['محمد', 'Mohammed'],
      ['أحمد', 'Ahmed'],
      ['علي', 'Ali'],
      ['حسن', 'Hassan'],
      ['حسين', 'Hussein'],
      ['عمر', 'Omar'],
      ['خالد', 'Khaled'],
      ['يوسف', 'Youssef'],
      ['إبراهيم', 'Ibrahim'],
      ['مصطفى', 'Mustafa'],
      ['فاطمة', 'Fatima'],
      ['مريم', 'Maryam'],
      ['زينب', 'Zainab'],
      ['عائشة', 'Aisha'],
      ['نور', 'Nour'],
      ['ليلى', 'Layla'],
      ['سارة', 'Sara'],
      ['هدى', 'Huda'],
      ['رنا', 'Rana'],
      ['ياسمين', 'Yasmin'],
    ],
    family: [
      ['الحسن', 'Al-Hassan'],
      ['عبدالله', 'Abdullah'],
      ['الأحمد', 'Al-Ahmad'],
      ['حداد', 'Haddad'],
      ['خليل', 'Khalil'],
      ['سليمان', 'Suleiman'],
      ['نصر', 'Nasser'],
      ['عثمان', 'Othman'],
      ['الشامي', 'Al-Shami'],
      ['المصري', 'Al-Masri'],
      ['العلي', 'Al-Ali'],
      ['حمدان', 'Hamdan'],
      ['جابر', 'Jaber'],
      ['يونس', 'Younes'],
      ['قاسم', 'Kassem'],
      ['صالح', 'Saleh'],
      ['عبدالرحمن', 'Abdulrahman'],
      ['الخطيب', 'Al-Khatib'],
    ],
  },
  {
    origin: 'somali',
    weight: 5,
    given: [
      'Abdi',
      'Abdirahman',
      'Ahmed',
      'Hassan',
      'Mohamed',
      'Ismail',
      'Yusuf',
      'Bashir',
      'Farah',
      'Mahad',
      'Hodan',
      'Fadumo',
      'Hawa',
      'Sahra',
      'Amina',
      'Ifrah',
      'Nimco',
      'Ubah',
      'Sagal',
      'Ayaan',
    ],
    family: [
      'Warsame',
      'Abdullahi',
      'Jama',
      'Hirsi',
      'Omar',
      'Osman',
      'Aden',
      'Ali',
      'Nur',
      'Yusuf',
      'Mohamud',
      'Egal',
      'Farah',
      'Guled',
      'Dirie',
      'Samatar',
      'Barre',
      'Elmi',
    ],
  },
  {
    origin: 'polish',
    weight: 6,
    given: [
      'Anna',
      'Katarzyna',
      'Małgorzata',
      'Agnieszka',
      'Barbara',
      'Ewa',
      'Joanna',
      'Magdalena',
      'Zofia',
      'Żaneta',
      'Piotr',
      'Krzysztof',
      'Andrzej',
      'Tomasz',
      'Paweł',
      'Michał',
      'Łukasz',
      'Grzegorz',
      'Wojciech',
      'Jędrzej',
    ],
    family: [
      'Nowak',
      'Kowalski',
      'Kowalska',
      'Wiśniewski',
      'Wiśniewska',
      'Wójcik',
      'Kowalczyk',
      'Kamiński',
      'Lewandowski',
      'Lewandowska',
      'Zieliński',
      'Szymański',
      'Woźniak',
      'Dąbrowski',
      'Kozłowski',
      'Jankowski',
      'Mazur',
      'Kwiatkowski',
      'Krawczyk',
      'Piotrowski',
      'Grabowski',
      'Pawłowski',
      'Michalski',
      'Król',
      'Wieczorek',
    ],
  },
  {
    origin: 'vietnamese',
    weight: 4,
    given: [
      'Anh',
      'Bảo',
      'Châu',
      'Dũng',
      'Đức',
      'Hà',
      'Hải',
      'Hạnh',
      'Hiếu',
      'Hoa',
      'Hùng',
      'Hương',
      'Khánh',
      'Lan',
      'Linh',
      'Long',
      'Mai',
      'Minh',
      'Nam',
      'Ngọc',
      'Phương',
      'Quang',
      'Thảo',
      'Thu',
      'Trang',
      'Tuấn',
      'Việt',
      'Yến',
    ],
    family: [
      'Nguyễn',
      'Trần',
      'Lê',
      'Phạm',
      'Hoàng',
      'Huỳnh',
      'Phan',
      'Vũ',
      'Võ',
      'Đặng',
      'Bùi',
      'Đỗ',
      'Hồ',
      'Ngô',
      'Dương',
      'Lý',
    ],
    // Vietnamese order: family name first.
    familyFirst: true,
  },
  {
    origin: 'spanish',
    weight: 5,
    given: [
      'María',
      'Carmen',
      'Lucía',
      'Sofía',
      'Paula',
      'Elena',
      'Marta',
      'Ana',
      'Isabel',
      'Pilar',
      'José',
      'Antonio',
      'Manuel',
      'Francisco',
      'Javier',
      'Carlos',
      'Alejandro',
      'Miguel',
      'Jesús',
      'Andrés',
    ],
    family: [
      'García',
      'Rodríguez',
      'González',
      'Fernández',
      'López',
      'Martínez',
      'Sánchez',
      'Pérez',
      'Gómez',
      'Martín',
      'Jiménez',
      'Ruiz',
      'Hernández',
      'Díaz',
      'Moreno',
      'Muñoz',
      'Álvarez',
      'Romero',
      'Navarro',
      'Torres',
    ],
    // Two family names: father's and mother's.
    doubleFamily: true,
  },
  {
    origin: 'chinese',
    weight: 4,
    nativeShare: 0.4,
    given: [
      ['伟', 'Wei'],
      ['芳', 'Fang'],
      ['娜', 'Na'],
      ['秀英', 'Xiuying'],
      ['敏', 'Min'],
      ['静', 'Jing'],
      ['丽', 'Li'],
      ['强', 'Qiang'],
      ['磊', 'Lei'],
      ['军', 'Jun'],
      ['洋', 'Yang'],
      ['勇', 'Yong'],
      ['艳', 'Yan'],
      ['杰', 'Jie'],
      ['娟', 'Juan'],
      ['涛', 'Tao'],
      ['明', 'Ming'],
      ['超', 'Chao'],
      ['秀兰', 'Xiulan'],
      ['霞', 'Xia'],
      ['建国', 'Jianguo'],
      ['志强', 'Zhiqiang'],
    ],
    family: [
      ['王', 'Wang'],
      ['李', 'Li'],
      ['张', 'Zhang'],
      ['刘', 'Liu'],
      ['陈', 'Chen'],
      ['杨', 'Yang'],
      ['黄', 'Huang'],
      ['赵', 'Zhao'],
      ['吴', 'Wu'],
      ['周', 'Zhou'],
      ['徐', 'Xu'],
      ['孙', 'Sun'],
      ['马', 'Ma'],
      ['朱', 'Zhu'],
      ['胡', 'Hu'],
      ['郭', 'Guo'],
      ['欧阳', 'Ouyang'],
    ],
    familyFirst: true,
  },
  {
    origin: 'bosnian',
    weight: 4,
    given: [
      'Amra',
      'Lejla',
      'Selma',
      'Emina',
      'Azra',
      'Mirza',
      'Emir',
      'Adnan',
      'Haris',
      'Kenan',
      'Jasmina',
      'Senad',
      'Dženan',
      'Edin',
      'Nermina',
    ],
    family: [
      'Hodžić',
      'Hadžić',
      'Begić',
      'Delić',
      'Kovačević',
      'Mehmedović',
      'Salihović',
      'Hasanović',
      'Ibrahimović',
      'Husić',
      'Mujić',
      'Alić',
      'Šabić',
      'Čolić',
    ],
  },
  {
    origin: 'persian',
    weight: 4,
    given: [
      'Reza',
      'Ali',
      'Mehdi',
      'Amir',
      'Hossein',
      'Dariush',
      'Kourosh',
      'Maryam',
      'Zahra',
      'Fatemeh',
      'Shirin',
      'Parisa',
      'Leila',
      'Nasrin',
      'Golnar',
      'Ramin',
    ],
    family: [
      'Hosseini',
      'Mohammadi',
      'Rezaei',
      'Ahmadi',
      'Karimi',
      'Moradi',
      'Jafari',
      'Rahimi',
      'Sadeghi',
      'Ghorbani',
      'Tehrani',
      'Shirazi',
      'Esfahani',
      'Azimi',
    ],
  },
  {
    origin: 'tigrinya',
    weight: 3,
    given: [
      'Yonas',
      'Daniel',
      'Filmon',
      'Semhar',
      'Helen',
      'Luwam',
      'Senait',
      'Tesfay',
      'Mebrahtu',
      'Abraham',
      'Ruta',
      'Selam',
      'Mussie',
      'Eden',
    ],
    family: [
      'Tesfamariam',
      'Gebremedhin',
      'Haile',
      'Kidane',
      'Berhane',
      'Tekle',
      'Ghebreyesus',
      'Woldu',
      'Asmerom',
      'Yohannes',
      'Mehari',
      'Habte',
    ],
  },
  {
    origin: 'turkish',
    weight: 3,
    given: [
      'Ayşe',
      'Fatma',
      'Emine',
      'Zeynep',
      'Elif',
      'Hülya',
      'Mehmet',
      'Mustafa',
      'Ahmet',
      'Hüseyin',
      'İbrahim',
      'Murat',
      'Özgür',
      'Çağlar',
    ],
    family: [
      'Yılmaz',
      'Kaya',
      'Demir',
      'Şahin',
      'Çelik',
      'Yıldız',
      'Yıldırım',
      'Öztürk',
      'Aydın',
      'Özdemir',
      'Arslan',
      'Doğan',
      'Kılıç',
      'Aslan',
    ],
  },
  {
    origin: 'english',
    weight: 4,
    given: [
      'James',
      'Emily',
      'Oliver',
      'Charlotte',
      'Jack',
      'Sophie',
      'Harry',
      'Grace',
      'Thomas',
      'Lucy',
      'William',
      'Hannah',
      'Daniel',
      'Chloe',
    ],
    family: [
      'Smith',
      'Jones',
      'Williams',
      'Taylor',
      'Brown',
      'Davies',
      'Evans',
      'Wilson',
      'Thomas',
      'Johnson',
      'Roberts',
      'Robinson',
      "O'Brien",
      'Murphy',
    ],
  },
];

const CITIES = [
  'Stockholm',
  'Göteborg',
  'Malmö',
  'Uppsala',
  'Västerås',
  'Örebro',
  'Linköping',
  'Helsingborg',
  'Jönköping',
  'Norrköping',
  'Lund',
  'Umeå',
  'Gävle',
  'Borås',
  'Södertälje',
  'Eskilstuna',
  'Halmstad',
  'Växjö',
  'Karlstad',
  'Sundsvall',
  'Östersund',
  'Trollhättan',
  'Luleå',
  'Kalmar',
  'Skövde',
  'Kristianstad',
  'Falun',
  'Borlänge',
  'Helsinki',
  'Tampere',
  'Turku',
  'Oslo',
];
const STORE_NAMES = [
  'City',
  'Centrum',
  'Galleria',
  'Torget',
  'Hamnen',
  'Norr',
  'Söder',
  'Väst',
  'Öst',
  'Stationen',
  'Köpcentrum',
  'Allé',
];
const CARE_HOMES = [
  'Solrosen',
  'Lärkan',
  'Björkhagen',
  'Eken',
  'Linden',
  'Vallmon',
  'Sjöglimten',
  'Tallbacken',
  'Rönnen',
  'Åkerbäret',
];

/** Work places: stores, warehouses, care homes, a few offices; each with its departments and titles. */
export function buildLocations() {
  const locations = [];
  for (const city of CITIES) {
    for (const name of STORE_NAMES.slice(0, 6)) locations.push({ name: `Store ${city} ${name}`, kind: 'store' });
    locations.push({ name: `Warehouse ${city}`, kind: 'warehouse' });
    for (const home of CARE_HOMES.slice(0, 4)) locations.push({ name: `Care home ${home}, ${city}`, kind: 'care' });
  }
  locations.push(
    { name: 'Head office Stockholm', kind: 'office' },
    { name: 'Regional office Göteborg', kind: 'office' },
  );
  return locations;
}

const WORK = {
  store: {
    departments: ['Store operations', 'Checkout', 'Fresh food', 'Bakery', 'Deli', 'Stockroom', 'Customer service'],
    titles: [
      'Store associate',
      'Cashier',
      'Shelf filler',
      'Shift lead',
      'Baker',
      'Deputy store manager',
      'Store manager',
    ],
  },
  warehouse: {
    departments: ['Inbound', 'Outbound', 'Picking', 'Returns', 'Transport', 'Maintenance'],
    titles: ['Picker', 'Forklift driver', 'Packer', 'Team leader', 'Truck driver', 'Technician'],
  },
  care: {
    departments: ['Care', 'Night care', 'Kitchen', 'Cleaning', 'Activities'],
    titles: ['Assistant nurse', 'Care assistant', 'Nurse', 'Cook', 'Cleaner', 'Unit manager'],
  },
  office: {
    departments: ['HR', 'IT', 'Finance', 'Purchasing', 'Marketing'],
    titles: ['Coordinator', 'Specialist', 'Analyst', 'Manager'],
  },
};

const ASCII_FOLD = {
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  æ: 'ae',
  Æ: 'AE',
  ß: 'ss',
  đ: 'd',
  Đ: 'D',
  ı: 'i',
  ş: 's',
  ğ: 'g',
  "'": '',
};

/** A name as it would appear in a username: ASCII letters, lower case. */
export function slug(text) {
  return text
    .replace(/[łŁøØæÆßđĐışğ']/g, (c) => ASCII_FOLD[c] ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A generator of people: `personAt(i)` is the i-th person (deterministic for a seed). 70% have
 * no email; every person has an employee id; 40% already have a username (the rest choose one
 * when they claim their account).
 */
export function createPeopleGenerator(seed = 20260101) {
  const locations = buildLocations();
  const totalWeight = ORIGINS.reduce((sum, o) => sum + o.weight, 0);
  const random = createRandom(seed);
  const nameOf = (entry, native) => (Array.isArray(entry) ? (native ? entry[0] : entry[1]) : entry);
  const latinOf = (entry) => (Array.isArray(entry) ? entry[1] : entry);

  return function personAt(i) {
    let roll = random.next() * totalWeight;
    let origin = ORIGINS[0];
    for (const o of ORIGINS) {
      roll -= o.weight;
      if (roll < 0) {
        origin = o;
        break;
      }
    }
    const native = origin.nativeShare !== undefined && random.next() < origin.nativeShare;
    const given = random.pick(origin.given);
    const family = random.pick(origin.family);
    const family2 = origin.doubleFamily ? random.pick(origin.family) : null;
    let name;
    if (origin.origin === 'chinese' && native) name = `${nameOf(family, true)}${nameOf(given, true)}`;
    else if (origin.familyFirst) name = `${nameOf(family, native)} ${nameOf(given, native)}`;
    else
      name = [nameOf(given, native), nameOf(family, native), family2 ? nameOf(family2, native) : null]
        .filter(Boolean)
        .join(' ');

    const location = locations[random.int(locations.length)];
    const work = WORK[location.kind];
    const department = random.pick(work.departments);
    const title = random.pick(work.titles);
    const hasEmail = random.next() < 0.3;
    const hasUsername = random.next() < 0.4;
    const base = `${slug(latinOf(given))}.${slug(latinOf(family))}`;
    return {
      name,
      username: hasUsername ? `${base}${i}` : '',
      email: hasEmail ? `${base}.${i}@nordhandel.example` : '',
      employeeId: `E${String(100000 + i).padStart(7, '0')}`,
      department,
      location: location.name,
      title,
    };
  };
}

/** Search fragments of three or more letters, in several scripts: dense, sparse and absent. */
export const SEARCH_FRAGMENTS = [
  'son',
  'ann',
  'and',
  'lind',
  'berg',
  'erik',
  'joh',
  'åsa',
  'björ',
  'ström',
  'nen',
  'mäk',
  'virt',
  'moh',
  'ahm',
  'has',
  'محمد',
  'فاطم',
  'الحس',
  'abdi',
  'hodan',
  'warsa',
  'kowal',
  'łuk',
  'wiś',
  'nowak',
  'nguy',
  'trầ',
  'hươ',
  'ngọc',
  'garc',
  'rodr',
  'muñ',
  'wang',
  'zhang',
  '王秀英',
  '欧阳娜',
  '李建国',
  'hodž',
  'begi',
  'hoss',
  'tesfa',
  'yılm',
  'öztü',
  "o'br",
  'smith',
  'e000123',
  'e001',
  'nordhandel',
  'qzx',
  'xyzzy',
];

/**
 * What an admin types into the People page's search box, keystroke by keystroke (W9): one and
 * two letters (common ones, rare pairs like `zz`, `qx`, `xu`, and pairs drawn at random), the
 * first letters of real names, digits of an employee id and parts of an email, some of them with
 * a filter. Each entry is a query string without `limit`. Deterministic for a seed; the draws
 * change with the seed so a shape that is slow cannot hide behind a fixed list.
 */
export function keystrokeQueries(seed = 20260101, people = 1_000_000) {
  const random = createRandom((seed ^ 0x5eed17) >>> 0);
  const personAt = createPeopleGenerator((seed + 17) >>> 0);
  const sample = Array.from({ length: 400 }, (_, i) => personAt(i));
  const fragments = [
    ['fixed', 'a'],
    ['fixed', 's'],
    ['fixed', 'm'],
    ['fixed', 'å'],
    ['fixed', 'ł'],
    ['fixed', '王'],
    ['fixed', 'م'],
    ['fixed', 'an'],
    ['fixed', 'jo'],
    ['fixed', 'ng'],
    ['fixed', 'zz'],
    ['fixed', 'qx'],
    ['fixed', 'xu'],
    ['fixed', 'e1'],
    ['fixed', '7'],
  ];
  const letters = 'abcdefghijklmnopqrstuvwxyzåäöéüçşłñ';
  const ascii = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < 8; i++) fragments.push(['random letter', letters[random.int(letters.length)]]);
  for (let i = 0; i < 12; i++)
    fragments.push(['random pair', ascii[random.int(ascii.length)] + ascii[random.int(ascii.length)]]);
  // The first 1–4 letters of a word of a real name (any script), as typed.
  for (let i = 0; i < 12; i++) {
    const words = random
      .pick(sample)
      .name.toLowerCase()
      .split(/[\s'-]+/)
      .filter(Boolean);
    const word = [...random.pick(words)];
    fragments.push(['name start', word.slice(0, 1 + random.int(Math.min(4, word.length))).join('')]);
  }
  // Digits of an employee id (E + 7 digits), 1–5 of them from anywhere in it.
  for (let i = 0; i < 5; i++) {
    const digits = String(100000 + random.int(people)).padStart(7, '0');
    const length = 1 + random.int(5);
    const from = random.int(8 - length);
    fragments.push(['employee id digits', digits.slice(from, from + length)]);
  }
  // Part of an email (local part or domain), 2–6 characters.
  for (let i = 0; i < 4; i++) {
    const person = random.pick(sample);
    const email = `${slug(person.name.split(' ')[0])}@nordhandel.example`;
    const length = 2 + random.int(5);
    const from = random.int(Math.max(1, email.length - length));
    fragments.push(['email part', email.slice(from, from + length)]);
  }
  const filters = ['status=unclaimed', 'status=active', 'status=deactivated', 'codeState=none', 'codeState=active'];
  const queries = [];
  for (const [shape, fragment] of fragments) {
    const q = `q=${encodeURIComponent(fragment)}`;
    queries.push({ shape, fragment, query: q });
    // A third of them again with a filter, as the page sends it when one is chosen.
    if (random.next() < 1 / 3) {
      const filter = random.pick(filters);
      queries.push({ shape: `${shape} + ${filter.split('=')[0]}`, fragment, query: `${q}&${filter}` });
    }
  }
  return queries;
}
