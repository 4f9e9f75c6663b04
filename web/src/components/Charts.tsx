// Small hand-written SVG charts (no chart library: the bundle stays small). A chart is a
// <figure> with a <figcaption>; the SVG is one image for assistive technology (role="img" with a
// summary as its label), each bar tells its value on hover (<title>), and "Show as table"
// reveals the figures as a table. The SVG is drawn at the container's width (ResizeObserver).
import { useEffect, useId, useRef, useState } from 'react';

export interface Series {
  name: string;
  /** A CSS colour (the legend and the bars). */
  color: string;
}

export interface BarDatum {
  /** The x-axis label (shown in full in titles and the table). */
  label: string;
  /** A shorter label for the axis, e.g. "Nov 30". */
  shortLabel?: string;
  /** One value per series; null: no value (nothing drawn, "—" in the table). */
  values: (number | null)[];
}

export interface BarChartProps {
  title: string;
  /** What the chart says in one or two sentences: the SVG's accessible name. */
  summary: string;
  series: Series[];
  data: BarDatum[];
  format: (n: number) => string;
  /** stacked: series on top of each other (parts of a whole); grouped: side by side. */
  mode?: 'stacked' | 'grouped';
  height?: number;
  /** Extra text under the title (e.g. the failure rate). */
  note?: string;
}

/** The width of an element, kept up to date. */
function useWidth<T extends HTMLElement>(): [React.RefObject<T>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** Round axis steps: 1, 2, 5 × 10^k, with at most `ticks` steps up to `max`. */
export function niceTicks(max: number, ticks = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / ticks;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(v);
  return out;
}

export function BarChart({ title, summary, series, data, format, mode = 'grouped', height = 220, note }: BarChartProps) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const [showTable, setShowTable] = useState(false);
  const id = useId();
  const tableId = `${id}-table`;

  const totals = data.map((d) =>
    mode === 'stacked' ? d.values.reduce<number>((s, v) => s + (v ?? 0), 0) : Math.max(0, ...d.values.map((v) => v ?? 0)),
  );
  const ticks = niceTicks(Math.max(0, ...totals));
  const top = ticks[ticks.length - 1] || 1;

  // Layout: room for the y labels on the left, the x labels below.
  const yLabelWidth = Math.min(90, 10 + 7 * Math.max(...ticks.map((t) => format(t).length)));
  const pad = { left: yLabelWidth, right: 8, top: 10, bottom: 26 };
  const plotW = Math.max(0, width - pad.left - pad.right);
  const plotH = height - pad.top - pad.bottom;
  const slot = data.length ? plotW / data.length : 0;
  const barGap = Math.min(6, slot * 0.2);
  const y = (v: number) => pad.top + plotH - (v / top) * plotH;
  // Every k-th x label counted back from the last (today), so labels (~48 px) never overlap.
  const every = Math.max(1, Math.ceil((data.length * 52) / Math.max(plotW, 1)));

  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{title}</span>
        {note && <span className="chart-note">{note}</span>}
      </figcaption>
      {series.length > 1 && (
        <ul className="chart-legend" aria-hidden="true">
          {series.map((s) => (
            <li key={s.name}>
              <span className="swatch" style={{ background: s.color }} />
              {s.name}
            </li>
          ))}
        </ul>
      )}
      <div ref={wrapRef} className="chart-canvas">
        {width > 0 && (
          <svg width={width} height={height} role="img" aria-label={summary} className="chart-svg">
            {ticks.map((t) => (
              <g key={t} className="tick">
                <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} />
                <text x={pad.left - 6} y={y(t)} dy="0.32em" textAnchor="end">
                  {format(t)}
                </text>
              </g>
            ))}
            {data.map((d, i) => {
              const x0 = pad.left + i * slot + barGap / 2;
              const inner = Math.max(1, slot - barGap);
              let stackedTop = 0;
              return (
                <g key={d.label} className="bar-group">
                  {d.values.map((v, k) => {
                    if (v === null || v <= 0) return null;
                    let x = x0;
                    let w = inner;
                    let yTop: number;
                    let h: number;
                    if (mode === 'stacked') {
                      yTop = y(stackedTop + v);
                      h = y(stackedTop) - yTop;
                      stackedTop += v;
                    } else {
                      w = inner / d.values.length;
                      x = x0 + k * w;
                      yTop = y(v);
                      h = y(0) - yTop;
                    }
                    return (
                      <rect key={k} className="bar" x={x} y={yTop} width={Math.max(1, w - (mode === 'grouped' ? 1 : 0))} height={Math.max(1, h)} fill={series[k].color}>
                        <title>{`${d.label} · ${series[k].name}: ${format(v)}`}</title>
                      </rect>
                    );
                  })}
                  {(data.length - 1 - i) % every === 0 && (
                    <text className="x-label" x={x0 + inner / 2} y={height - 8} textAnchor="middle">
                      {d.shortLabel ?? d.label}
                    </text>
                  )}
                </g>
              );
            })}
            <line className="axis" x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} />
          </svg>
        )}
      </div>
      <button type="button" className="secondary small chart-toggle" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable((s) => !s)}>
        {showTable ? 'Hide table' : 'Show as table'}
      </button>
      {/* Scrollable when long: focusable, so the keyboard can scroll it. */}
      <div id={tableId} className="table-wrap chart-table" hidden={!showTable} tabIndex={0} role="region" aria-label={`${title}, as a table`}>
        <table className="list">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {series.map((s) => (
                <th scope="col" key={s.name} className="num">
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.label}>
                <th scope="row">{d.label}</th>
                {d.values.map((v, k) => (
                  <td key={k} className="num">
                    {v === null ? '—' : format(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
