module github.com/tether-ws/tether/bench/clients/go

go 1.19

require github.com/tether-ws/tether/bindings/go v0.0.0

// The binding from this repository, never a downloaded one.
replace github.com/tether-ws/tether/bindings/go => ../../../bindings/go
