package tether

// LateResponses counts the answers that arrived after their Request had returned (and were
// dropped), for the tests.
func LateResponses(c *Client) uint64 { return c.lateResponses.Load() }
