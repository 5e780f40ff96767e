// Shapes of the API's answers (docs: /work/shared/docs/API.md). Optional fields are ones the
// contract leaves open, so the dashboard degrades instead of failing when they are absent.

export interface CollectionSettings {
  match_threshold?: number | null;
  check_liveness?: boolean | null;
  liveness_threshold?: number | null;
  quality_threshold?: number | null;
  auto_enroll?: boolean | null;
  auto_enroll_threshold?: number | null;
  max_references_per_face?: number | null;
  store_face_crops?: boolean | null;
}

export interface Collection {
  collection_id?: string;
  id?: string;
  name: string;
  description?: string | null;
  face_count?: number;
  model_version?: string;
  settings?: CollectionSettings;
  /** What the service applies when a threshold setting is unset (the model's calibrated defaults). */
  effective_thresholds?: { identify: number; verify: number; auto_enroll: number; liveness: number };
  created_at?: string;
  updated_at?: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
}

export interface BoundingBox { x: number; y: number; width: number; height: number }

export interface Reference {
  reference_id: string;
  source: 'enroll' | 'auto' | string;
  quality_score?: number | null;
  created_at?: string;
}

export interface Face {
  face_id: string;
  external_id: string;
  collection_id?: string;
  quality_score?: number | null;
  liveness_score?: number | null;
  metadata?: Record<string, unknown> | null;
  bounding_box?: BoundingBox;
  faces_detected?: number;
  model_version?: string;
  created_at?: string;
  references?: Reference[];
}

export interface QueryFace { bounding_box?: BoundingBox; quality_score?: number | null; liveness_score?: number | null }

export interface Match { face_id: string; external_id: string; similarity: number; metadata?: Record<string, unknown> | null }

export interface IdentifyResult {
  query_face?: QueryFace;
  matches: Match[];
  faces_detected?: number;
  auto_enrolled?: { face_id: string; reference_id: string } | null;
}

export interface VerifyResult {
  match: boolean;
  similarity: number;
  threshold: number;
  face_id?: string;
  external_id?: string;
  query_face?: QueryFace;
}

export interface ModelInfo {
  model_version?: string;
  embedding_size?: number;
  default_identify_threshold?: number;
  default_verify_threshold?: number;
  thresholds?: Array<{ far: number; threshold: number }>;
  [k: string]: unknown;
}

export const collectionId = (c: Collection) => c.collection_id ?? c.id ?? '';
