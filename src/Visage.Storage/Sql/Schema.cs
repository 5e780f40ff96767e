namespace Visage.Storage.Sql;

/// <summary>The numbered migrations, written once for both databases. Tokens stand for the few types that
/// differ: {blob} (BLOB | BYTEA) and {autokey} (INTEGER PRIMARY KEY AUTOINCREMENT | BIGSERIAL PRIMARY KEY).
/// Times are BIGINT UTC ticks so both stores round-trip DateTimeOffset exactly.
/// Append new migrations; never edit a released one.</summary>
static class Schema
{
    public static readonly string[] Migrations =
    [
        // 1: initial schema
        """
        CREATE TABLE workspaces (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at BIGINT NOT NULL);

        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            prefix TEXT NOT NULL,
            hash {blob} NOT NULL UNIQUE,
            scopes TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT NULL,
            last_used_at BIGINT NULL);
        CREATE INDEX api_keys_workspace ON api_keys(workspace_id, created_at, id);

        CREATE TABLE collections (
            id TEXT PRIMARY KEY,
            workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT NULL,
            settings TEXT NOT NULL,
            model_version TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL);
        CREATE INDEX collections_workspace ON collections(workspace_id, created_at, id);

        CREATE TABLE faces (
            id TEXT PRIMARY KEY,
            collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            external_id TEXT NOT NULL,
            metadata TEXT NOT NULL,
            quality_score REAL NOT NULL,
            liveness_score REAL NULL,
            box_x INTEGER NOT NULL, box_y INTEGER NOT NULL, box_w INTEGER NOT NULL, box_h INTEGER NOT NULL,
            faces_detected INTEGER NOT NULL,
            model_version TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL);
        CREATE INDEX faces_page ON faces(collection_id, created_at, id);
        CREATE INDEX faces_external ON faces(collection_id, external_id, created_at, id);

        CREATE TABLE face_refs (
            ref_key {autokey},
            id TEXT NOT NULL UNIQUE,
            face_id TEXT NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
            collection_id TEXT NOT NULL,
            source TEXT NOT NULL,
            quality_score REAL NOT NULL,
            model_version TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            embedding {blob} NOT NULL);
        CREATE INDEX face_refs_face ON face_refs(face_id, created_at, ref_key);
        CREATE INDEX face_refs_collection ON face_refs(collection_id, ref_key);

        -- Crops live apart so that streaming embeddings never touches their pages.
        CREATE TABLE crops (
            ref_key BIGINT PRIMARY KEY REFERENCES face_refs(ref_key) ON DELETE CASCADE,
            data {blob} NOT NULL);

        CREATE TABLE changes (
            seq {autokey},
            kind TEXT NOT NULL,
            collection_id TEXT NOT NULL,
            face_id TEXT NULL,
            ref_key BIGINT NULL,
            changed_at BIGINT NOT NULL);

        CREATE TABLE idempotency (
            workspace_id TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            request_hash {blob} NOT NULL,
            status_code INTEGER NOT NULL,
            response_body TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (workspace_id, idem_key));
        """,
        // 2: audit log
        """
        CREATE TABLE audit_events (
            seq {autokey},
            at BIGINT NOT NULL,
            workspace_id TEXT NOT NULL,
            action TEXT NOT NULL,
            key_id TEXT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT NOT NULL,
            collection_id TEXT NULL,
            request_id TEXT NULL,
            details TEXT NOT NULL);
        CREATE INDEX audit_events_workspace ON audit_events(workspace_id, seq);
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    public static string Render(string migration, string blobType, string autoKey) =>
        migration.Replace("{blob}", blobType).Replace("{autokey}", autoKey);
}
