//! The re-engagement rate over time as a small server-rendered SVG: readable without JavaScript,
//! with a text title and description for screen readers.

/// `points`: (label, rate 0..1 or none). Returns an SVG element.
pub fn rate_chart(points: &[(String, Option<f64>)]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 240.0;
    const PAD: f64 = 40.0;
    let n = points.len().max(1);
    let x = |i: usize| {
        PAD + (W - 2.0 * PAD)
            * if n == 1 {
                0.5
            } else {
                i as f64 / (n - 1) as f64
            }
    };
    let y = |rate: f64| H - PAD - (H - 2.0 * PAD) * rate.clamp(0.0, 1.0);
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" class=\"chart\">\
         <title id=\"chart-title\">Re-engagement rate by period</title><desc id=\"chart-desc\">{}</desc>",
        escape(
            &points
                .iter()
                .map(|(l, r)| format!("{l}: {}", r.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "no calls".into())))
                .collect::<Vec<_>>()
                .join("; ")
        )
    );
    for pct in [0.0, 0.5, 1.0] {
        svg.push_str(&format!(
            "<line x1=\"{PAD}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#b1b4b6\"/><text x=\"4\" y=\"{}\" font-size=\"12\">{:.0}%</text>",
            W - PAD,
            y(pct) + 4.0,
            pct * 100.0,
            y = y(pct)
        ));
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, r))| r.map(|r| format!("{:.1},{:.1}", x(i), y(r))))
        .collect();
    if !path.is_empty() {
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#1d4f91\" stroke-width=\"3\" points=\"{}\"/>",
            path.join(" ")
        ));
    }
    for (i, (label, rate)) in points.iter().enumerate() {
        if let Some(r) = rate {
            svg.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#1d4f91\"/>",
                x(i),
                y(*r)
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x(i),
            H - 12.0,
            escape(label)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::rate_chart;

    #[test]
    fn draws_a_line_through_known_rates_and_describes_them() {
        let svg = rate_chart(&[
            ("2026-01".into(), Some(0.5)),
            ("2026-02".into(), None),
            ("2026-03".into(), Some(1.0)),
        ]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("2026-01: 50%; 2026-02: no calls; 2026-03: 100%"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }

    #[test]
    fn labels_are_escaped() {
        assert!(rate_chart(&[("<b>".into(), Some(0.1))]).contains("&lt;b&gt;"));
    }
}
