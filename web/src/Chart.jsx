const compact = (v) => v.toLocaleString('en-US', { maximumSignificantDigits: 4 })
const whole = (v) => Math.round(v).toLocaleString('en-US')

/** A small SVG line chart: `series` is [{ name, points: [[x, y], …] }] in plain numbers. */
export function Chart({ series, xLabel, yLabel, height = 190, format = compact, xFormat = whole }) {
  const width = 480
  const pad = { left: 60, right: 12, top: 24, bottom: 34 }
  const all = series.flatMap((s) => s.points)
  if (all.length < 2) return <p className="muted">Not enough history yet to plot.</p>
  const xs = all.map((p) => p[0])
  const ys = all.map((p) => p[1])
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)]
  if (x0 === x1) x1 = x0 + 1
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.05, y1 + Math.abs(y1 || 1) * 0.05]
  const sx = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right)
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom)
  const colors = ['#2f6f4f', '#b5572c', '#3b5ba5']
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${yLabel} against ${xLabel}`}>
      <line x1={pad.left} y1={height - pad.bottom} x2={width - pad.right} y2={height - pad.bottom} stroke="#999" />
      <line x1={pad.left} y1={pad.top} x2={pad.left} y2={height - pad.bottom} stroke="#999" />
      {[y0, (y0 + y1) / 2, y1].map((y) => (
        <text key={y} x={pad.left - 4} y={sy(y) + 4} textAnchor="end" fontSize="10">
          {format(y)}
        </text>
      ))}
      {[x0, (x0 + x1) / 2, x1].map((x) => (
        <text key={x} x={sx(x)} y={height - pad.bottom + 14} textAnchor="middle" fontSize="10">
          {xFormat(x)}
        </text>
      ))}
      <text x={(width + pad.left) / 2} y={height - 4} textAnchor="middle" fontSize="11">
        {xLabel}
      </text>
      <text x={4} y={12} fontSize="11">
        {yLabel}
      </text>
      {series.map((s, i) => (
        <g key={s.name}>
          <polyline
            fill="none"
            stroke={colors[i % colors.length]}
            strokeWidth="2"
            points={s.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')}
          />
          <text x={width - pad.right} y={12 * (i + 1)} textAnchor="end" fontSize="10" fill={colors[i % colors.length]}>
            {s.name}
          </text>
        </g>
      ))}
    </svg>
  )
}
