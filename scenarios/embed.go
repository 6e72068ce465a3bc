// Package scenarios embeds the shipped scenario files, so `kx demo` works
// from any directory.
package scenarios

import "embed"

// FS holds the shipped *.yaml scenarios, their README and the demo's
// schemas (schemas/TOPIC.avsc, schemas/ecommerce.proto).
//
//go:embed *.yaml README.md schemas
var FS embed.FS

// Demo is the file name of the scenario kx demo plays by default.
const Demo = "ecommerce-demo.yaml"

// DemoProto is the demo's Protobuf schema file in FS; DemoMessages names
// the message of each demo topic in it. The Avro schemas are
// schemas/TOPIC.avsc.
const DemoProto = "schemas/ecommerce.proto"

// DemoMessages maps each demo topic to its message in DemoProto.
var DemoMessages = map[string]string{
	"orders.created":         "kx.demo.ecommerce.OrderCreated",
	"orders.completed":       "kx.demo.ecommerce.OrderCompleted",
	"inventory.updates":      "kx.demo.ecommerce.InventoryUpdate",
	"customer.notifications": "kx.demo.ecommerce.CustomerNotification",
	"payment.transactions":   "kx.demo.ecommerce.PaymentTransaction",
	"shipping.events":        "kx.demo.ecommerce.ShippingEvent",
}
