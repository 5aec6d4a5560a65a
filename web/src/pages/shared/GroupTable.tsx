/** A table of downloads, success rate, bytes and mean speed per format, artist or peer. */
import type { StatsGroup } from '../../types';
import { formatBytes, formatRate, formatSpeed } from './format';
import { TableBox } from './ui';

/** Downloads, success rate, bytes and mean speed per format, artist or peer. */
export function GroupTable({
  rows,
  first,
  testid,
}: {
  rows: StatsGroup[];
  first: string;
  testid: string;
}) {
  return (
    <TableBox testid={testid}>
      <thead>
        <tr>
          <th>{first}</th>
          <th class="num">Downloads</th>
          <th class="num">Completed</th>
          <th class="num">Failed</th>
          <th class="num">Success</th>
          <th class="num">Filed</th>
          <th class="num">Mean speed</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.name}>
            <td class="wrap">{r.name}</td>
            <td class="num">{r.downloads}</td>
            <td class="num">{r.completed}</td>
            <td class="num">{r.failed}</td>
            <td class="num">{formatRate(r.successRate)}</td>
            <td class="num">{formatBytes(r.bytes)}</td>
            <td class="num">{formatSpeed(r.meanSpeed)}</td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={7} class="muted">
              None in this period.
            </td>
          </tr>
        )}
      </tbody>
    </TableBox>
  );
}
