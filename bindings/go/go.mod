module github.com/tether-ws/tether/bindings/go

go 1.19
