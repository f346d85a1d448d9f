package identity

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/connectfed/connectfed"
)

// MaxRootAccessKeys is AWS's quota of access keys for an account's root
// user.
const MaxRootAccessKeys = 2

// Account returns an account as stored (its Created time is fixed when the
// account is first made).
func (s *Service) Account(ctx context.Context, accountID string) (*connectfed.Account, error) {
	var a connectfed.Account
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return connectfed.GetJSON(tx, kindAccount, accountID, &a) })
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// rootKeysOf lists the root keys of one account. Root keys are keyed by
// access key id and there are few of them (the configured ones and at most
// MaxRootAccessKeys made through IAM per account), so they are walked.
func rootKeysOf(tx connectfed.Tx, accountID string) ([]AccessKey, error) {
	var out []AccessKey
	after := ""
	for {
		page, err := tx.List(kindRootKey, "", after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			var rec rootKeyRecord
			if err := json.Unmarshal(e.Value, &rec); err != nil {
				return nil, err
			}
			if rec.AccountID == accountID {
				out = append(out, AccessKey{AccountID: accountID, ID: e.Key, Status: "Active", Created: rec.Created})
			}
		}
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].Key
	}
}

// RootAccessKeys lists the access keys of an account's root user (UserName
// is empty in each).
func (s *Service) RootAccessKeys(ctx context.Context, accountID string) ([]AccessKey, error) {
	var out []AccessKey
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var err error
		out, err = rootKeysOf(tx, accountID)
		return err
	})
	return out, err
}

// CreateRootAccessKey makes a new root access key, up to AWS's quota of
// two (configured keys count).
func (s *Service) CreateRootAccessKey(ctx context.Context, accountID string) (*AccessKey, string, error) {
	secret := newSecret()
	var key AccessKey
	err := s.update(ctx, func(tx connectfed.Tx) error {
		existing, err := rootKeysOf(tx, accountID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxRootAccessKeys {
			return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", MaxRootAccessKeys)
		}
		id := awsID("AKIA", 16)
		now := s.now()
		rec := rootKeyRecord{AccountID: accountID, SealedSecret: s.Sealer.Seal(secret, "rootkey/"+id), Created: now}
		if err := connectfed.CreateJSON(tx, kindRootKey, id, rec); err != nil {
			return err
		}
		key = AccessKey{AccountID: accountID, ID: id, Status: "Active", Created: now}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return &key, secret, nil
}

// DeleteRootAccessKey deletes one of the account's root keys. A key from
// the configuration file comes back at the next start (the configuration
// is the source of truth for the keys it names).
func (s *Service) DeleteRootAccessKey(ctx context.Context, accountID, keyID string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var rec rootKeyRecord
		err := connectfed.GetJSON(tx, kindRootKey, keyID, &rec)
		if errors.Is(err, connectfed.ErrNotFound) || err == nil && rec.AccountID != accountID {
			return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The Access Key with id %s cannot be found.", keyID)
		}
		if err != nil {
			return err
		}
		return tx.Delete(kindRootKey, keyID)
	})
}

// EntityARN returns the ARN of an existing user ("user") or role ("role"),
// found case-insensitively by name: its canonical spelling and its path.
// IAM authorizes operations on an existing entity against this ARN, not
// against the caller's spelling. A missing entity is NoSuchEntity.
func (s *Service) EntityARN(ctx context.Context, accountID, kind, name string) (string, error) {
	arn, _, err := s.Entity(ctx, accountID, kind, name)
	return arn, err
}

// Entity is EntityARN with the entity's IAM tags.
func (s *Service) Entity(ctx context.Context, accountID, kind, name string) (string, []connectfed.SessionTag, error) {
	var e PolicyEntity
	err := s.Store.View(ctx, func(tx connectfed.Tx) (err error) {
		e, err = getEntity(tx, accountID, kind, name)
		return err
	})
	return "arn:aws:iam::" + accountID + ":" + kind + e.Path + e.Name, e.Tags, err
}
