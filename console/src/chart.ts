/** The overview's 7-day chart: requests and spend per day (uPlot, canvas; no inline styles in markup). */
import uPlot from 'uplot';
import type { DayStats } from './types';

export function sevenDayChart(days: DayStats[], width: number): HTMLElement {
  const el = document.createElement('div');
  el.className = 'chart';
  el.setAttribute('data-testid', 'chart-7d');
  const ordered = [...days].sort((a, b) => a.day.localeCompare(b.day));
  const xs = ordered.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
  const requests = ordered.map((d) => d.total.requests);
  const spend = ordered.map((d) => d.total.costMicros / 1e6);
  new uPlot(
    {
      width,
      height: 220,
      scales: { x: { time: true }, usd: { auto: true } },
      series: [
        {},
        { label: 'requests', stroke: '#2563eb', width: 2, points: { show: true } },
        { label: 'spend (USD)', stroke: '#d97706', width: 2, scale: 'usd', points: { show: true } },
      ],
      axes: [{}, { label: 'requests' }, { side: 1, scale: 'usd', label: 'USD', grid: { show: false } }],
    },
    [xs, requests, spend],
    el,
  );
  return el;
}
