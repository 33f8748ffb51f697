import { useRef } from 'preact/hooks';

export interface EditorMarker {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

interface CodeEditorProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  readOnly?: boolean;
  rows?: number;
  /** A fault to show under its place: the line's text with a caret under the column. */
  marker?: EditorMarker | undefined;
}

/** A textarea with line numbers and an error marker under the offending place. */
export function CodeEditor({ label, value, onInput, readOnly = false, rows = 6, marker }: CodeEditorProps) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n');
  const lineCount = Math.max(lines.length, rows);
  const numbers = Array.from({ length: lineCount }, (_, index) => String(index + 1)).join('\n');
  const markedLine = marker ? lines[marker.line - 1] ?? '' : '';

  return (
    <div>
      <label>
        {label}
        <div class="code-editor">
          <div class="gutter" ref={gutter} aria-hidden="true">
            {numbers}
          </div>
          <textarea
            value={value}
            rows={lineCount}
            readOnly={readOnly}
            spellcheck={false}
            wrap="off"
            aria-invalid={marker !== undefined}
            onInput={(event) => onInput(event.currentTarget.value)}
            onScroll={(event) => {
              if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
            }}
          />
        </div>
      </label>
      {marker ? (
        <div class="syntax-marker" role="alert" aria-label={`Syntax error at line ${marker.line}, column ${marker.column}`}>
          {`Line ${marker.line}, column ${marker.column}: ${marker.message}\n`}
          {`${String(marker.line).padStart(3)} | ${markedLine}\n`}
          {`    | ${' '.repeat(Math.max(0, marker.column - 1))}^`}
        </div>
      ) : null}
    </div>
  );
}
