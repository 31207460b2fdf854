"""Article search: query syntax, matching and ranking, the date-sliced newest reads, facets."""
