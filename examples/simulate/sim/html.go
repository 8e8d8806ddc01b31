package sim

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// The page is written by hand, not with html/template, so that every byte
// is decided here: numbers are printed with fixed precision and nothing
// depends on map order, which keeps a seed's report byte-identical.

// Queue colours, in Scenario.Queues order (then repeating).
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

// pageScript runs when the page is opened: it marks the body with the
// number of charts drawn and any script error, which the headless-browser
// check reads (the report needs no script to be read).
const pageScript = `(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); document.body.dataset.errors = errors.join("; "); });
  window.addEventListener("DOMContentLoaded", function () {
    var charts = document.querySelectorAll("svg.chart");
    var lines = document.querySelectorAll("svg.chart polyline");
    document.body.dataset.charts = String(charts.length);
    document.body.dataset.lines = String(lines.length);
    document.body.dataset.errors = errors.join("; ");
    document.body.dataset.checked = "yes";
  });
})();`

const pageStyle = `body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 980px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #e4e4e4; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: 600; border-top: 2px solid #999; }
svg.chart { display: block; margin: 8px 0 4px; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #444; }
.legend span { display: inline-block; margin-right: 16px; }
.legend i { display: inline-block; width: 18px; height: 4px; margin-right: 6px; vertical-align: middle; }`

// WriteHTMLFile writes the HTML page to a file at path.
func (rep *Report) WriteHTMLFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteHTML(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteHTML writes the report as one self-contained HTML page: the summary,
// a chart of the tasks waiting per queue through the run, a chart of the
// service level per queue and interval, the hourly table and the totals
// per queue. It needs nothing from the network.
func (rep *Report) WriteHTML(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	esc := html.EscapeString
	sl := fmt.Sprintf("%.0f s", rep.Threshold.Seconds())
	p("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	p("<title>switchboard: a contact-center day, seed %d</title>\n", rep.Seed)
	p("<style>\n%s\n</style>\n<script>\n%s\n</script>\n</head>\n<body>\n", pageStyle, pageScript)
	p("<h1>A contact-center day on switchboard</h1>\n")
	p("<p class=\"meta\">%d agents, %d tickets, %d tasks, %d contact records. Tickets arrive from %s for %s; the last task ended %s. Seed %d.</p>\n",
		rep.Agents, rep.Tickets, rep.Tasks, rep.Records, esc(rep.Start.Format("2006-01-02 15:04 MST")), esc(rep.Arrivals.String()),
		esc(rep.End.Format("2006-01-02 15:04")), rep.Seed)
	t := rep.Total
	p("<p>Handled %d, abandoned %d; service level at %s %s, average queue answer time %s, average handle time %s, occupancy %s.</p>\n",
		t.Handled, t.Abandoned, sl, t.cells()[3], t.cells()[4], t.cells()[5], t.cells()[6])

	legend := func() {
		p("<div class=\"legend\">")
		for i, q := range rep.Queues {
			p("<span><i style=\"background:%s\"></i>%s</span>", palette[i%len(palette)], esc(q.Name))
		}
		p("</div>\n")
	}

	// Tasks waiting.
	p("<h2>Tasks waiting, per queue</h2>\n")
	var top float64
	for _, s := range rep.Samples {
		for _, n := range s.Waiting {
			top = math.Max(top, float64(n))
		}
	}
	c := newChart(rep.Start, rep.End, niceMax(top), "tasks waiting (QUEUED or OFFERED), sampled every few minutes")
	c.open(b)
	for i := range rep.Queues {
		var pts []point
		for _, s := range rep.Samples {
			pts = append(pts, point{s.At, float64(s.Waiting[i])})
		}
		c.line(b, pts, palette[i%len(palette)], false)
	}
	c.close(b)
	legend()

	// Service level.
	p("<h2>Service level at %s, per queue and %s</h2>\n", sl, esc(widthName(rep.Bucket)))
	c = newChart(rep.Start, rep.End, 100, "% of the tasks queued in the interval that left the queue within "+sl)
	c.open(b)
	for i, q := range rep.Queues {
		var pts []point
		for _, r := range q.Buckets {
			if r.HasSL {
				pts = append(pts, point{r.Start.Add(rep.Bucket / 2), r.ServiceLevel})
			}
		}
		c.line(b, pts, palette[i%len(palette)], true)
	}
	c.close(b)
	legend()

	// Tables.
	cols := rep.columns()
	header := func(first string) {
		p("<tr><th>%s</th>", first)
		for _, h := range cols {
			p("<th>%s</th>", esc(h))
		}
		p("</tr>\n")
	}
	row := func(class, first string, r *Row) {
		p("<tr%s><td>%s</td>", class, esc(first))
		for _, v := range r.cells() {
			p("<td>%s</td>", esc(v))
		}
		p("</tr>\n")
	}
	p("<h2>Hour by hour</h2>\n<table>\n")
	header("hour")
	for i := range rep.Hours {
		h := &rep.Hours[i]
		first := h.Start.Format("15:04")
		if !sameDay(h.Start, rep.Start) {
			first = h.Start.Format("Jan 2 15:04")
		}
		row("", first, h)
	}
	row(` class="total"`, "total", &rep.Total)
	p("</table>\n<h2>Per queue</h2>\n<table>\n")
	header("queue")
	for i := range rep.Queues {
		row("", rep.Queues[i].Name, &rep.Queues[i].Total)
	}
	p("</table>\n")
	p("<p class=\"meta\">Figures are Amazon Connect's historical metrics (CONTACTS_CREATED, CONTACTS_HANDLED, CONTACTS_ABANDONED, SERVICE_LEVEL, AVG_QUEUE_ANSWER_TIME, AVG_HANDLE_TIME, AGENT_OCCUPANCY) as switchboard's HistoricalMetrics computes them from the router's event log, each counted in the interval of the event that defines it.</p>\n")
	p("</body>\n</html>\n")
	return b.Flush()
}

func widthName(d time.Duration) string {
	if d == time.Hour {
		return "hour"
	}
	return fmt.Sprintf("%.0f minutes", d.Minutes())
}

type point struct {
	at time.Time
	v  float64
}

// chart maps time and value to the SVG's coordinates.
type chart struct {
	from, to  time.Time
	top       float64
	caption   string
	w, h      float64
	left, bot float64
}

func newChart(from, to time.Time, top float64, caption string) *chart {
	if !to.After(from) {
		to = from.Add(time.Hour)
	}
	return &chart{from: from, to: to, top: math.Max(top, 1), caption: caption, w: 940, h: 260, left: 48, bot: 28}
}

func (c *chart) x(t time.Time) float64 {
	return c.left + (c.w-c.left-10)*float64(t.Sub(c.from))/float64(c.to.Sub(c.from))
}

func (c *chart) y(v float64) float64 { return 10 + (c.h-c.bot-10)*(1-v/c.top) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func (c *chart) open(b *bufio.Writer) {
	fmt.Fprintf(b, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" aria-label=\"%s\">\n",
		num(c.w), num(c.h), num(c.w), num(c.h), html.EscapeString(c.caption))
	// Horizontal grid: five steps.
	for i := 0; i <= 4; i++ {
		v := c.top * float64(i) / 4
		y := c.y(v)
		fmt.Fprintf(b, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#ddd\"/><text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n",
			num(c.left), num(y), num(c.w-10), num(y), num(c.left-6), num(y+4), strconv.FormatFloat(v, 'f', -1, 64))
	}
	// Time axis: a tick every 2 hours (every hour for short runs).
	step := 2 * time.Hour
	if c.to.Sub(c.from) <= 6*time.Hour {
		step = time.Hour
	}
	for t := c.from.Truncate(time.Hour); !t.After(c.to); t = t.Add(step) {
		if t.Before(c.from) {
			continue
		}
		x := c.x(t)
		fmt.Fprintf(b, "<line x1=\"%s\" y1=\"10\" x2=\"%s\" y2=\"%s\" stroke=\"#eee\"/><text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n",
			num(x), num(x), num(c.h-c.bot), num(x), num(c.h-c.bot+16), t.Format("15:04"))
	}
	fmt.Fprintf(b, "<title>%s</title>\n", html.EscapeString(c.caption))
}

func (c *chart) line(b *bufio.Writer, pts []point, colour string, dots bool) {
	var sb strings.Builder
	for i, p := range pts {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(num(c.x(p.at)))
		sb.WriteByte(',')
		sb.WriteString(num(c.y(p.v)))
	}
	fmt.Fprintf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>\n", colour, sb.String())
	if dots {
		for _, p := range pts {
			fmt.Fprintf(b, "<circle cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"%s\"/>\n", num(c.x(p.at)), num(c.y(p.v)), colour)
		}
	}
}

func (c *chart) close(b *bufio.Writer) { fmt.Fprintf(b, "</svg>\n") }

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
