package connect

import (
	"context"

	"github.com/connectfed/connectfed"
)

// InstanceAttributeTypes are the instance attributes, in the model's order.
var InstanceAttributeTypes = []string{"INBOUND_CALLS", "OUTBOUND_CALLS", "CONTACTFLOW_LOGS", "CONTACT_LENS",
	"AUTO_RESOLVE_BEST_VOICES", "USE_CUSTOM_TTS_VOICES", "EARLY_MEDIA", "MULTI_PARTY_CONFERENCE", "HIGH_VOLUME_OUTBOUND",
	"ENHANCED_CONTACT_MONITORING", "ENHANCED_CHAT_MONITORING", "MULTI_PARTY_CHAT_CONFERENCE", "MESSAGE_STREAMING"}

// defaultAttributes are the values of a new instance's attributes besides
// INBOUND_CALLS and OUTBOUND_CALLS (CreateInstance's own flags): the
// defaults the Connect console and the Terraform provider give.
var defaultAttributes = map[string]string{
	"CONTACT_LENS": "true", "AUTO_RESOLVE_BEST_VOICES": "true", "EARLY_MEDIA": "true",
}

// InstanceAttribute returns one attribute's value.
func InstanceAttribute(inst *connectfed.Instance, typ string) string {
	switch typ {
	case "INBOUND_CALLS":
		return boolString(inst.InboundCallsEnabled)
	case "OUTBOUND_CALLS":
		return boolString(inst.OutboundCallsEnabled)
	}
	if v, ok := inst.Attributes[typ]; ok {
		return v
	}
	if v, ok := defaultAttributes[typ]; ok {
		return v
	}
	return "false"
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// SetInstanceAttribute sets one attribute ("true" or "false");
// INBOUND_CALLS and OUTBOUND_CALLS change the instance's flags.
func (s *Service) SetInstanceAttribute(ctx context.Context, sc Scope, instanceID, typ, value string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		switch typ {
		case "INBOUND_CALLS":
			inst.InboundCallsEnabled = value == "true"
		case "OUTBOUND_CALLS":
			inst.OutboundCallsEnabled = value == "true"
		default:
			if inst.Attributes == nil {
				inst.Attributes = map[string]string{}
			}
			inst.Attributes[typ] = value
		}
		return connectfed.PutJSON(tx, kindInstance, instanceKey(sc, inst.ID), &inst)
	})
}
