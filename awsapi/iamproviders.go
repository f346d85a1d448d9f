package awsapi

import (
	"encoding/xml"
	"net/url"
	"regexp"

	"github.com/connectfed/connectfed/identity"
)

// IAM SAML and OpenID Connect identity providers.

var (
	samlProviderNameRE = regexp.MustCompile(`^[\w._-]+$`)
	thumbprintRE       = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)
)

func checkProviderARN(v *violations, member string, p url.Values, param string) string {
	arn := p.Get(param)
	v.required(member, p.Has(param))
	if p.Has(param) {
		v.length(member, arn, false, 20, 2048)
	}
	return arn
}

func (s *Server) iamCreateSAMLProvider(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("Name")
	v.required("name", p.Has("Name"))
	v.length("name", name, false, 1, 128)
	if name != "" {
		v.pattern("name", name, false, samlProviderNameRE, `[\w._-]+`)
	}
	doc := p.Get("SAMLMetadataDocument")
	v.required("sAMLMetadataDocument", p.Has("SAMLMetadataDocument"))
	if p.Has("SAMLMetadataDocument") {
		v.length("sAMLMetadataDocument", doc, true, 1000, 10000000)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	arn := "arn:aws:iam::" + c.principal.AccountID + ":saml-provider/" + name
	if err := s.iamAuthorize(c, arn); err != nil {
		return nil, err
	}
	sp, err := s.cfg.Identity.CreateSAMLProvider(c.ctx, c.principal.AccountID, name, doc)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName         xml.Name `xml:"CreateSAMLProviderResult"`
		SAMLProviderArn string
	}{SAMLProviderArn: sp.ARN()}), nil
}

// samlProviderCall validates SAMLProviderArn and authorizes the call on it.
func (s *Server) samlProviderCall(c *call, p url.Values, v *violations) (string, error) {
	arn := checkProviderARN(v, "sAMLProviderArn", p, "SAMLProviderArn")
	if err := v.err(); err != nil {
		return "", err
	}
	return arn, s.iamAuthorize(c, arn)
}

func (s *Server) iamGetSAMLProvider(c *call, p url.Values) (any, error) {
	arn, err := s.samlProviderCall(c, p, iamValidation())
	if err != nil {
		return nil, err
	}
	sp, err := s.cfg.Identity.GetSAMLProvider(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName              xml.Name `xml:"GetSAMLProviderResult"`
		SAMLProviderUUID     string
		SAMLMetadataDocument string
		CreateDate           string
		ValidUntil           string
	}{SAMLProviderUUID: sp.UUID, SAMLMetadataDocument: sp.Metadata, CreateDate: isoTime(sp.Created), ValidUntil: isoTime(sp.ValidUntil)}), nil
}

func (s *Server) iamListSAMLProviders(c *call, _ url.Values) (any, error) {
	if err := s.iamAuthorize(c, "*"); err != nil {
		return nil, err
	}
	list, err := s.cfg.Identity.ListSAMLProviders(c.ctx, c.principal.AccountID)
	if err != nil {
		return nil, err
	}
	type entry struct {
		Arn        string
		ValidUntil string
		CreateDate string
	}
	members := make([]entry, 0, len(list))
	for _, sp := range list {
		members = append(members, entry{sp.ARN(), isoTime(sp.ValidUntil), isoTime(sp.Created)})
	}
	return respond(c, struct {
		XMLName          xml.Name `xml:"ListSAMLProvidersResult"`
		SAMLProviderList []entry  `xml:"SAMLProviderList>member"`
	}{SAMLProviderList: members}), nil
}

func (s *Server) iamUpdateSAMLProvider(c *call, p url.Values) (any, error) {
	v := iamValidation()
	doc := p.Get("SAMLMetadataDocument")
	// The model makes the document optional (the other members change
	// encryption settings, which connectfed does not emulate), but without
	// it there is nothing to update.
	v.required("sAMLMetadataDocument", p.Has("SAMLMetadataDocument"))
	if p.Has("SAMLMetadataDocument") {
		v.length("sAMLMetadataDocument", doc, true, 1000, 10000000)
	}
	arn, err := s.samlProviderCall(c, p, v)
	if err != nil {
		return nil, err
	}
	sp, err := s.cfg.Identity.UpdateSAMLProvider(c.ctx, arn, doc)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName         xml.Name `xml:"UpdateSAMLProviderResult"`
		SAMLProviderArn string
	}{SAMLProviderArn: sp.ARN()}), nil
}

func (s *Server) iamDeleteSAMLProvider(c *call, p url.Values) (any, error) {
	arn, err := s.samlProviderCall(c, p, iamValidation())
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeleteSAMLProvider(c.ctx, arn); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func checkClientID(v *violations, member, id string) {
	v.length(member, id, false, 1, 255)
}

func checkThumbprints(v *violations, list []string) {
	for _, t := range list {
		v.length("thumbprintList.member", t, false, 40, 40)
		if len(t) == 40 {
			v.pattern("thumbprintList.member", t, false, thumbprintRE, `[0-9A-Fa-f]{40}`)
		}
	}
}

func (s *Server) iamCreateOpenIDConnectProvider(c *call, p url.Values) (any, error) {
	v := iamValidation()
	rawURL := p.Get("Url")
	v.required("url", p.Has("Url"))
	v.length("url", rawURL, false, 1, 255)
	clients := queryList(p, "ClientIDList", "")
	for _, id := range clients {
		checkClientID(v, "clientIDList.member", id)
	}
	thumbs := queryList(p, "ThumbprintList", "")
	checkThumbprints(v, thumbs)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, rest, err := identity.NormalizeIssuer(rawURL)
	if err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, "arn:aws:iam::"+c.principal.AccountID+":oidc-provider/"+rest); err != nil {
		return nil, err
	}
	op, err := s.cfg.Identity.CreateOpenIDConnectProvider(c.ctx, c.principal.AccountID, rawURL, clients, thumbs)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName                  xml.Name `xml:"CreateOpenIDConnectProviderResult"`
		OpenIDConnectProviderArn string
	}{OpenIDConnectProviderArn: op.ARN()}), nil
}

func (s *Server) oidcProviderCall(c *call, p url.Values, v *violations) (string, error) {
	arn := checkProviderARN(v, "openIDConnectProviderArn", p, "OpenIDConnectProviderArn")
	if err := v.err(); err != nil {
		return "", err
	}
	return arn, s.iamAuthorize(c, arn)
}

func (s *Server) iamGetOpenIDConnectProvider(c *call, p url.Values) (any, error) {
	arn, err := s.oidcProviderCall(c, p, iamValidation())
	if err != nil {
		return nil, err
	}
	op, err := s.cfg.Identity.GetOpenIDConnectProvider(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName        xml.Name `xml:"GetOpenIDConnectProviderResult"`
		Url            string
		ClientIDList   []string `xml:"ClientIDList>member"`
		ThumbprintList []string `xml:"ThumbprintList>member"`
		CreateDate     string
	}{Url: op.URL, ClientIDList: nonNil(op.ClientIDs), ThumbprintList: nonNil(op.Thumbprints), CreateDate: isoTime(op.Created)}), nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func (s *Server) iamListOpenIDConnectProviders(c *call, _ url.Values) (any, error) {
	if err := s.iamAuthorize(c, "*"); err != nil {
		return nil, err
	}
	list, err := s.cfg.Identity.ListOpenIDConnectProviders(c.ctx, c.principal.AccountID)
	if err != nil {
		return nil, err
	}
	type entry struct{ Arn string }
	members := make([]entry, 0, len(list))
	for _, op := range list {
		members = append(members, entry{op.ARN()})
	}
	return respond(c, struct {
		XMLName                   xml.Name `xml:"ListOpenIDConnectProvidersResult"`
		OpenIDConnectProviderList []entry  `xml:"OpenIDConnectProviderList>member"`
	}{OpenIDConnectProviderList: members}), nil
}

func (s *Server) iamDeleteOpenIDConnectProvider(c *call, p url.Values) (any, error) {
	arn, err := s.oidcProviderCall(c, p, iamValidation())
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeleteOpenIDConnectProvider(c.ctx, arn); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) oidcClientIDCall(c *call, p url.Values) (string, string, error) {
	v := iamValidation()
	id := p.Get("ClientID")
	v.required("clientID", p.Has("ClientID"))
	if p.Has("ClientID") {
		checkClientID(v, "clientID", id)
	}
	arn, err := s.oidcProviderCall(c, p, v)
	return arn, id, err
}

func (s *Server) iamAddClientIDToOpenIDConnectProvider(c *call, p url.Values) (any, error) {
	arn, id, err := s.oidcClientIDCall(c, p)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.AddClientID(c.ctx, arn, id); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamRemoveClientIDFromOpenIDConnectProvider(c *call, p url.Values) (any, error) {
	arn, id, err := s.oidcClientIDCall(c, p)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.RemoveClientID(c.ctx, arn, id); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamUpdateOpenIDConnectProviderThumbprint(c *call, p url.Values) (any, error) {
	v := iamValidation()
	thumbs := queryList(p, "ThumbprintList", "")
	v.required("thumbprintList", thumbs != nil || p.Has("ThumbprintList")) // botocore sends an empty list as "ThumbprintList="
	checkThumbprints(v, thumbs)
	arn, err := s.oidcProviderCall(c, p, v)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.UpdateThumbprints(c.ctx, arn, thumbs); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}
