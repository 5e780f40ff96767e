import { useEffect, useState } from 'preact/hooks';

// Hash routes keep every page reachable from a bookmark without the server knowing the routes.
export type Route =
  | { page: 'collections' }
  | { page: 'collection'; id: string; tab: Tab }
  | { page: 'health' };

export const TABS = ['faces', 'enroll', 'search', 'settings'] as const;
export type Tab = (typeof TABS)[number];

export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'health') return { page: 'health' };
  if (parts[0] === 'collections' && parts[1]) {
    const tab = (TABS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as Tab) : 'faces';
    return { page: 'collection', id: parts[1], tab };
  }
  return { page: 'collections' };
}

export const href = {
  collections: () => '#/collections',
  collection: (id: string, tab: Tab = 'faces') => `#/collections/${encodeURIComponent(id)}/${tab}`,
  health: () => '#/health',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const update = () => setRoute(parse(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
