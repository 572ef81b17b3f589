import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer])

/**
 * Charts drawn on the server with Apache ECharts' SVG renderer (docs/dashboard.md, Charts): the
 * page shows them before any script runs, and tests read the drawn values from the SVG's text.
 * Every value is labelled, so nothing depends on a hover.
 */
function renderSvg(option: echarts.EChartsCoreOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option })
    // The class names count up per chart; the same chart draws the same SVG.
    return chart.renderToSVGString().replace(/zr\d+-cls-\d+/g, 'zr-cls')
  } finally {
    chart.dispose()
  }
}

/** Closed, open and overdue items per day: three lines, the last day's values labelled. */
export function trendChart(days: readonly { date: string; closed: number; open: number; overdue: number }[]): string {
  // Only today's value is written at the line's end: thirty labels a line would be noise.
  const label = { show: true, position: 'right' as const, fontSize: 11, formatter: (p: { dataIndex: number; value: number }) => (p.dataIndex === days.length - 1 ? String(p.value) : '') }
  const series = (name: string, values: number[], color: string) => ({ name, type: 'line', data: values, showSymbol: false, color, label })
  return renderSvg(
    {
      legend: { top: 0, data: ['已销号', '在办', '逾期'] },
      grid: { left: 36, right: 36, top: 28, bottom: 24 },
      xAxis: { type: 'category', data: days.map((d) => d.date.slice(5).replace('-', '/')), axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 10 } },
      series: [series('已销号', days.map((d) => d.closed), '#2e7d32'), series('在办', days.map((d) => d.open), '#1565c0'), series('逾期', days.map((d) => d.overdue), '#c62828')],
    },
    360,
    220,
  )
}

/** Overdue items by category: horizontal bars, each labelled with its count. */
export function categoryChart(categories: readonly { name: string; overdue: number }[]): string {
  return renderSvg(
    {
      // Room on the left for the category names (seven characters at 11 px), cut beyond.
      grid: { left: 92, right: 32, top: 8, bottom: 8 },
      xAxis: { type: 'value', minInterval: 1, axisLabel: { show: false }, splitLine: { show: false } },
      yAxis: { type: 'category', inverse: true, data: categories.map((c) => c.name), axisLabel: { fontSize: 11, width: 84, overflow: 'truncate' } },
      series: [{ type: 'bar', data: categories.map((c) => c.overdue), color: '#c62828', label: { show: true, position: 'right', fontSize: 11 } }],
    },
    360,
    Math.max(120, categories.length * 26 + 16),
  )
}
