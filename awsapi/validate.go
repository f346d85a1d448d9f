package awsapi

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/strictjson"
)

// violations collects constraint failures so a request learns every
// problem at once, in the words AWS's validation layer uses:
// "2 validation errors detected: Value 'x' at 'username' failed to satisfy
// constraint: Member must ...; ...".
type violations struct {
	errType connectfed.ErrorType // the op's error shape for bad parameters
	list    []string
}

func (v *violations) add(member, value string, sensitive bool, constraint string) {
	if sensitive || len(value) > 256 || !utf8.ValidString(value) {
		v.list = append(v.list, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", member, constraint))
		return
	}
	v.list = append(v.list, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

func (v *violations) required(member string, present bool) {
	if !present {
		v.list = append(v.list, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
	}
}

func (v *violations) length(member, value string, sensitive bool, min, max int) {
	n := utf8.RuneCountInString(value)
	if n < min {
		v.add(member, value, sensitive, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max > 0 && n > max {
		v.add(member, value, sensitive, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (v *violations) pattern(member, value string, sensitive bool, re *regexp.Regexp, src string) {
	if !re.MatchString(value) {
		v.add(member, value, sensitive, "Member must satisfy regular expression pattern: "+src)
	}
}

func (v *violations) enum(member, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add(member, value, false, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func (v *violations) utf8(member, value string) {
	if !utf8.ValidString(value) {
		v.add(member, value, true, "Member must be valid UTF-8")
	}
}

func (v *violations) err() error {
	switch len(v.list) {
	case 0:
		return nil
	case 1:
		return connectfed.TypedErrorf(connectfed.EINVALID, v.errType, "1 validation error detected: %s", v.list[0])
	default:
		return connectfed.TypedErrorf(connectfed.EINVALID, v.errType, "%d validation errors detected: %s", len(v.list), strings.Join(v.list, "; "))
	}
}

// decodeJSON decodes a restJson1 request body strictly (see strictjson); a
// refused body is SerializationException.
func decodeJSON(body []byte, v any) error {
	if err := strictjson.Decode(body, v); err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.SerializationException, "%s", se.Message)
		}
		return err
	}
	return nil
}
