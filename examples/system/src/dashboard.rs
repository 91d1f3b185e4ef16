//! The live dashboard's files, embedded in the worker (`include_str!`) and served by its entry
//! point at `GET /dashboard`: one artifact to deploy, nothing to configure, the same in
//! Miniflare, `wrangler dev` and on Cloudflare. The page talks to the coordinator over the
//! gateway (`/ws`) like any client: `watch_dashboard`, then the pushes. Sources in
//! `dashboard/src` (TypeScript on clients/ts); `scripts/build-dashboard` writes the bundle.
//! Served only with the variable `DASHBOARD = "on"`: protocol.md gives every path but `/ws` a
//! 404, so the example meets its contract unless the dashboard is asked for
//! (`scripts/run --var DASHBOARD=on`).

/// The page's path.
pub const PATH: &str = "/dashboard";

/// The variable that turns the dashboard on (`"on"`); a 404 otherwise.
pub const SWITCH_VAR: &str = "DASHBOARD";

/// A file of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its text.
    pub body: &'static str,
}

const INDEX: Asset = Asset {
    content_type: "text/html; charset=utf-8",
    body: include_str!("../dashboard/assets/index.html"),
};
const SCRIPT: Asset = Asset {
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../dashboard/assets/dashboard.js"),
};
const STYLE: Asset = Asset {
    content_type: "text/css; charset=utf-8",
    body: include_str!("../dashboard/assets/dashboard.css"),
};

/// The file at `path`, if it is one of the dashboard's.
pub fn asset(path: &str) -> Option<Asset> {
    match path {
        "/dashboard" | "/dashboard/" | "/dashboard/index.html" => Some(INDEX),
        "/dashboard/dashboard.js" => Some(SCRIPT),
        "/dashboard/dashboard.css" => Some(STYLE),
        _ => None,
    }
}

/// Whether the dashboard is served, given the variable's value.
pub fn enabled(switch: Option<&str>) -> bool {
    switch == Some("on")
}

/// The headers every file goes with: its type, revalidation, and a policy that lets the page
/// load only its own files and open WebSockets to its own origin.
pub fn headers(asset: &Asset) -> [(&'static str, &'static str); 4] {
    [
        ("Content-Type", asset.content_type),
        ("Cache-Control", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Content-Security-Policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_are_served_and_nothing_else() {
        let page = asset(PATH).unwrap();
        assert!(page.body.contains(r#"src="/dashboard/dashboard.js""#));
        assert!(page.body.contains(r#"href="/dashboard/dashboard.css""#));
        assert!(asset("/dashboard/dashboard.js")
            .unwrap()
            .body
            .contains("watch_dashboard"));
        assert_eq!(
            asset("/dashboard/dashboard.css").unwrap().content_type,
            "text/css; charset=utf-8"
        );
        for other in [
            "/",
            "/dashboard/x",
            "/dashboards",
            "/ws",
            "/dashboard/../ws",
        ] {
            assert_eq!(asset(other), None, "{other}");
        }
    }

    #[test]
    fn served_only_when_turned_on() {
        assert!(!enabled(None), "off by default: protocol.md's 404");
        assert!(enabled(Some("on")));
        assert!(!enabled(Some("off")));
        assert!(!enabled(Some("yes")));
    }
}
