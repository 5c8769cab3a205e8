package retention_test

import (
	"errors"

	"github.com/privacykit/privacy"
)

func asValidation(err error, ve **privacy.ValidationError) bool { return errors.As(err, ve) }
