import { useEffect, useState } from 'preact/hooks';
import { api, path } from '../api';
import { useLoad } from '../hooks';
import type { Face, Reference } from '../types';

/**
 * A stored face crop. <img> cannot send the X-API-Key header, so the crop is fetched with it and
 * shown through an object URL that is revoked when the image leaves the page.
 */
export function Crop({ collection, face, reference, alt, size = 'md' }: {
  collection: string;
  face: string;
  reference: string | undefined;
  alt: string;
  size?: 'sm' | 'md';
}) {
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!reference) return;
    let live = true;
    let objectUrl: string | undefined;
    setFailed(false);
    api.blob(path`/collections/${collection}/faces/${face}/references/${reference}/crop`).then(
      (b) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(b);
        setUrl(objectUrl);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [collection, face, reference]);
  const cls = `crop ${size}`;
  if (url) return <img class={cls} src={url} alt={alt} data-testid="crop" />;
  return (
    <div class={`${cls} placeholder`} aria-label={alt}>
      {failed || !reference ? 'no crop' : '…'}
    </div>
  );
}

export const primaryOf = (refs: Reference[] | undefined) => refs?.find((r) => r.source === 'enroll') ?? refs?.[0];

/** The crop of a face's primary reference, when all that is known is the face id (search answers). */
export function PrimaryCrop({ collection, face, alt, size }: { collection: string; face: string; alt: string; size?: 'sm' | 'md' }) {
  const detail = useLoad(() => api.get<Face>(path`/collections/${collection}/faces/${face}`), [collection, face]);
  if (detail.loading) return <div class={`crop ${size ?? 'md'} placeholder`} aria-label={alt}>…</div>;
  return <Crop collection={collection} face={face} reference={primaryOf(detail.data?.references)?.reference_id} alt={alt} size={size} />;
}
