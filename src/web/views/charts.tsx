/**
 * Two small SVG line charts rendered on the server: recent resume times per pool, and queue
 * depth per pool over the last minutes. No chart library, nothing fetched by the browser.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { DepthSample, ResumePoint } from '../history.js';
import { duration } from '../format.js';

const W = 460;
const H = 150;
const PAD = { left: 52, right: 10, top: 10, bottom: 22 };
const COLOURS = ['#2f6fde', '#d9822b', '#2b9d6c', '#b83280', '#7a5af8', '#c23030', '#0f8ea8'];

interface Series {
  name: string;
  points: { x: number; y: number }[];
}

function Chart({
  series,
  xLabel,
  yMax,
  yFormat,
  empty,
}: {
  series: Series[];
  xLabel: string;
  yMax: number;
  yFormat: (v: number) => string;
  empty: string;
}): JSX.Element {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const top = yMax > 0 ? yMax : 1;
  const sx = (x: number): number => PAD.left + x * plotW;
  const sy = (y: number): number => PAD.top + plotH - (y / top) * plotH;
  const has = series.some((s) => s.points.length > 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={xLabel}>
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + plotH} class="axis" />
        <line
          x1={PAD.left}
          y1={PAD.top + plotH}
          x2={PAD.left + plotW}
          y2={PAD.top + plotH}
          class="axis"
        />
        <line
          x1={PAD.left}
          y1={sy(top / 2)}
          x2={PAD.left + plotW}
          y2={sy(top / 2)}
          class="gridline"
        />
        <text x={PAD.left - 6} y={PAD.top + 8} class="tick" text-anchor="end">
          {yFormat(top)}
        </text>
        <text x={PAD.left - 6} y={sy(top / 2) + 4} class="tick" text-anchor="end">
          {yFormat(top / 2)}
        </text>
        <text x={PAD.left - 6} y={PAD.top + plotH} class="tick" text-anchor="end">
          0
        </text>
        <text x={PAD.left + plotW} y={H - 6} class="tick" text-anchor="end">
          {xLabel}
        </text>
        {has ? null : (
          <text x={PAD.left + plotW / 2} y={PAD.top + plotH / 2} class="tick" text-anchor="middle">
            {empty}
          </text>
        )}
        {series.map((s, i) => {
          const colour = COLOURS[i % COLOURS.length] ?? '#2f6fde';
          const pts = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
          return (
            <g>
              {s.points.length > 1 ? (
                <polyline points={pts} fill="none" stroke={colour} stroke-width="2" />
              ) : null}
              {s.points.map((p) => (
                <circle cx={sx(p.x).toFixed(1)} cy={sy(p.y).toFixed(1)} r="2.5" fill={colour} />
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {series.map((s, i) => (
          <span class="legend">
            <svg viewBox="0 0 10 10" class="swatch" aria-hidden="true">
              <rect width="10" height="10" fill={COLOURS[i % COLOURS.length] ?? '#2f6fde'} />
            </svg>
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export interface ChartsViewProps {
  resumes: Map<string, ResumePoint[]>;
  depth: readonly DepthSample[];
  pools: string[];
  windowMs: number;
  now?: number;
}

export function ChartsView({
  resumes,
  depth,
  pools,
  windowMs,
  now = Date.now(),
}: ChartsViewProps): JSX.Element {
  const resumeSeries: Series[] = pools.map((name) => {
    const pts = resumes.get(name) ?? [];
    return {
      name,
      points: pts.map((p, i) => ({ x: pts.length > 1 ? i / (pts.length - 1) : 0.5, y: p.ms })),
    };
  });
  const resumeMax = Math.max(0, ...resumeSeries.flatMap((s) => s.points.map((p) => p.y)));
  const depthSeries: Series[] = pools.map((name) => ({
    name,
    points: depth
      .filter((d) => now - d.at <= windowMs)
      .map((d) => ({ x: 1 - (now - d.at) / windowMs, y: d.depth[name] ?? 0 })),
  }));
  const depthMax = Math.max(1, ...depthSeries.flatMap((s) => s.points.map((p) => p.y)));
  return (
    <div class="charts">
      <div>
        <h3>
          Resume time, last {Math.max(0, ...resumeSeries.map((s) => s.points.length))} per pool
        </h3>
        <Chart
          series={resumeSeries}
          xLabel="older → newer"
          yMax={resumeMax * 1.1}
          yFormat={(v) => duration(v)}
          empty="no resumes yet"
        />
      </div>
      <div>
        <h3>Queue depth, last {Math.round(windowMs / 60_000)} min</h3>
        <Chart
          series={depthSeries}
          xLabel="now"
          yMax={Math.ceil(depthMax * 1.2)}
          yFormat={(v) => String(Math.round(v))}
          empty="sampling…"
        />
      </div>
    </div>
  );
}
