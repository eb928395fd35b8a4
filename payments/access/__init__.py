"""Who may use what: signed downloads (downloads, apis), gated access requests (gated, forms),
token metadata for wallets (metadata), and their pages (views, urls: /dl/... and
/listings/<slug>/download|access|requests; licences: "My licences")."""
