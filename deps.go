package deps

import (
	_ "github.com/beevik/etree"
	_ "github.com/digitorus/pkcs7"
	_ "github.com/digitorus/timestamp"
	_ "github.com/labstack/echo/v4"
	_ "github.com/patrickmn/go-cache"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/russellhaering/goxmldsig"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/ocsp"
	_ "golang.org/x/sync/singleflight"
)
