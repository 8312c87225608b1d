// BrandFilter: see the issue that builds it.
