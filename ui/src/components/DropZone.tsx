import { useState } from 'preact/hooks';

/** Drop photos here or click to pick them; the file input stays in the DOM for keyboards and tests. */
export function DropZone({ onFiles, multiple, label, testId }: {
  onFiles: (files: File[]) => void;
  multiple: boolean;
  label: string;
  testId: string;
}) {
  const [over, setOver] = useState(false);
  const take = (list: FileList | null | undefined) => {
    const files = Array.from(list ?? []).filter((f) => f.type.startsWith('image/') || /\.(jpe?g|png|webp)$/i.test(f.name));
    if (files.length) onFiles(multiple ? files : files.slice(0, 1));
  };
  return (
    <label
      class={over ? 'dropzone over' : 'dropzone'}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer?.files);
      }}
    >
      <input
        type="file"
        accept="image/jpeg,image/png,image/webp"
        multiple={multiple}
        data-testid={`${testId}-input`}
        onChange={(e) => {
          const input = e.currentTarget;
          take(input.files);
          input.value = '';
        }}
      />
      <span class="drop-icon" aria-hidden="true">⇪</span>
      <span>{label}</span>
      <small class="muted">JPEG, PNG or WebP · up to 10 MB each · or click to choose</small>
    </label>
  );
}
