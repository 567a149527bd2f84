// Zones (regions) as `GET /v4/products/zones` returns them. Ids are stable UUIDs derived from the name.
import { stableUuid } from './rng.ts';

export interface ZoneView {
  id: string;
  name: string;
  country: string;
  countryCode: string;
  city: string;
  displayName: string | null;
  lat: number;
  lon: number;
  outboundIPs: string[];
  tags: string[];
}

type ZoneSeed = [
  name: string,
  country: string,
  countryCode: string,
  city: string,
  lat: number,
  lon: number,
  infra: string,
];

const SEEDS: ZoneSeed[] = [
  ['par', 'France', 'FR', 'Paris', 48.8566, 2.3522, 'clever-cloud'],
  ['parhds', 'France', 'FR', 'Paris', 48.8566, 2.3522, 'clever-cloud'],
  ['scw', 'France', 'FR', 'Paris', 48.8566, 2.3522, 'scaleway'],
  ['grahds', 'France', 'FR', 'Gravelines', 50.9871, 2.1255, 'ovh'],
  ['ldn', 'United Kingdom', 'GB', 'London', 51.5074, -0.1278, 'ionos'],
  ['mtl', 'Canada', 'CA', 'Montreal', 45.5017, -73.5673, 'ovh'],
  ['rbx', 'France', 'FR', 'Roubaix', 50.6942, 3.1746, 'ovh'],
  ['rbxhds', 'France', 'FR', 'Roubaix', 50.6942, 3.1746, 'ovh'],
  ['sgp', 'Singapore', 'SG', 'Singapore', 1.3521, 103.8198, 'ovh'],
  ['syd', 'Australia', 'AU', 'Sydney', -33.8688, 151.2093, 'ovh'],
  ['wsw', 'Poland', 'PL', 'Warsaw', 52.2297, 21.0122, 'ovh'],
  ['fr-north-hds', 'France', 'FR', 'Lille', 50.6292, 3.0573, 'clever-cloud'],
];

export const ZONES: ZoneView[] = SEEDS.map(([name, country, countryCode, city, lat, lon, infra]) => ({
  id: stableUuid(`zone:${name}`),
  name,
  country,
  countryCode,
  city,
  displayName: null,
  lat,
  lon,
  outboundIPs: [],
  tags: [
    `infra:${infra}`,
    countryCode === 'FR' || countryCode === 'GB' || countryCode === 'PL' ? 'region:eu' : 'region:world',
    'for:applications',
    ...(name.includes('hds') ? ['certification:hds'] : []),
  ],
}));

export function findZone(name: string): ZoneView | undefined {
  return ZONES.find((z) => z.name === name);
}
