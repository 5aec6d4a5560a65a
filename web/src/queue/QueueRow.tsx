import type { Download } from '../types';
import { etaSeconds, formatBytes, formatDuration } from './rows';

/** Row height in px: fixed, so the virtual list needs no measuring and scroll restores exactly. */
export const ROW_HEIGHT = 44;

export interface RowProps {
  d: Download;
  index: number;
  selected: boolean;
  focused: boolean;
  draggable: boolean;
  speed: number | undefined;
  /** Its last re-read failed: shown as last known. */
  stale: boolean;
  onRowClick(e: MouseEvent, id: string, index: number): void;
  onOpen(id: string): void;
}

/** One download. Every remote string (names, peer, file) is JSX text, never markup. */
export function QueueRow({
  d,
  index,
  selected,
  focused,
  draggable,
  speed,
  stale,
  onRowClick,
  onOpen,
}: RowProps) {
  const eta = etaSeconds(d, speed);
  const cls = ['queue-row', selected ? 'selected' : '', focused ? 'focused' : ''].join(' ');
  return (
    <div
      class={cls}
      role="row"
      aria-selected={selected}
      data-testid="queue-row"
      data-id={d.id}
      data-index={index}
      data-status={d.status}
      data-stale={stale || undefined}
      onClick={(e) => onRowClick(e, d.id, index)}
      onDblClick={() => onOpen(d.id)}
    >
      <span class="cell handle" role="gridcell">
        {draggable && (
          <span class="drag-handle" title="Drag to reorder" aria-hidden="true">
            ⠿
          </span>
        )}
      </span>
      <span class="cell track" role="gridcell">
        <button
          type="button"
          class="link-button track-title"
          onClick={(e) => {
            e.stopPropagation();
            onOpen(d.id);
          }}
        >
          <span class="artist">{d.artist}</span> – <span class="title">{d.title}</span>
        </button>
        {d.album && <span class="album muted">{d.album}</span>}
      </span>
      <span class="cell status" role="gridcell">
        <span class={`badge status-${d.status}`}>{d.status}</span>
        {d.nextRetryAt && d.status === 'waiting' && (
          <span class="badge hold" title={`Retries at ${d.nextRetryAt}`}>
            retry {d.retryCount}/{d.maxRetries}
          </span>
        )}
        {d.suspectTranscode && <span class="badge warn">suspect</span>}
        {stale && (
          <span class="badge warn" title="Could not refresh this row; showing what was last known">
            stale
          </span>
        )}
        {d.errorCode && d.status === 'failed' && (
          <span class="badge error" title={d.errorMessage ?? ''}>
            {d.errorCode}
          </span>
        )}
      </span>
      <span class="cell progress" role="gridcell">
        <progress max={100} value={d.progress} aria-label="Progress" />
        <span class="small muted">
          {d.progress.toFixed(0)}% · {formatBytes(d.bytesTransferred)}
          {d.size !== null ? ` / ${formatBytes(d.size)}` : ''}
        </span>
      </span>
      <span class="cell speed" role="gridcell">
        {speed && d.status === 'downloading' ? `${formatBytes(speed)}/s` : '–'}
      </span>
      <span class="cell eta" role="gridcell">
        {formatDuration(eta)}
      </span>
      <span class="cell qpos" role="gridcell">
        {d.queuePosition ?? '–'}
      </span>
      <span class="cell source" role="gridcell">
        {d.source ? (
          <>
            <span class="muted">{d.source.provider}</span> {d.source.username}
          </>
        ) : (
          '–'
        )}
      </span>
      <span class="cell priority" role="gridcell">
        {d.priority}
      </span>
    </div>
  );
}

export function QueueHeader() {
  return (
    <div class="queue-row header" role="row">
      <span class="cell handle" role="columnheader" />
      <span class="cell track" role="columnheader">
        Artist – Title (album)
      </span>
      <span class="cell status" role="columnheader">
        Status
      </span>
      <span class="cell progress" role="columnheader">
        Progress
      </span>
      <span class="cell speed" role="columnheader">
        Speed
      </span>
      <span class="cell eta" role="columnheader">
        ETA
      </span>
      <span class="cell qpos" role="columnheader" title="Place in the peer's upload queue">
        Queue
      </span>
      <span class="cell source" role="columnheader">
        Source
      </span>
      <span class="cell priority" role="columnheader">
        Priority
      </span>
    </div>
  );
}
